/**
 * UDP retransmission when sipp loses packets on purpose (-lost): the server's
 * transaction layer must retransmit its requests and final responses and
 * absorb the peer's retransmissions so that every call still completes, in
 * both directions (sipp calling the app, the app calling sipp).
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, runSipp, startSipp } from '../../support/sipp.ts';
import { statNumber } from '../../support/sip-target.ts';
import { useCleanup, useSipTarget } from './helpers/harness.ts';
import { SrfApp, destroyDialog, sdp } from './helpers/srf.ts';

// RFC timers on the server as on sipp (T1 = 500 ms): with the suite's short
// T1, Timer J (64×T1) would end the server's BYE transaction while sipp (T1 =
// 500 ms) is still retransmitting a BYE whose 200 it lost.
const target = useSipTarget({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
const track = useCleanup();
const CALLS = 15;

describe('UDP retransmission under deliberate packet loss', () => {
  it('completes every incoming call when sipp drops 20% of packets', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    let answered = 0;
    app.srf.invite(async (req, res) => {
      await app.srf.createUAS(req, res, { localSdp: sdp() });
      answered++;
    });
    const before = t.stats ? statNumber(t.stats(), 'retransmissions') : 0;
    const r = await runSipp({
      scenario: 'uac-answer',
      transport: 'udp',
      calls: CALLS,
      rate: 10,
      lost: 20,
      localPort: await freePort(),
      remote: { host: t.sipHost, port: t.sipPort },
      timeoutSeconds: 90,
    });
    assertSippPassed(r);
    expect(answered).toBe(CALLS);
    if (t.stats) {
      // With 20% loss over ~90 packets, some of ours must have been resent.
      expect(statNumber(t.stats(), 'retransmissions')).toBeGreaterThan(before);
    } else {
      console.info('external drachtio-server: no counters; the verdict is sipp alone');
    }
  }, 120_000);

  it('completes every outgoing call when the called sipp drops 30% of INVITEs, 200s and BYEs', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const before = t.stats ? statNumber(t.stats(), 'retransmissions') : 0;
    const port = await freePort();
    const sipp = track(
      await startSipp({
        scenario: 'uas-answer-lossy',
        transport: 'udp',
        calls: CALLS,
        localPort: port,
        timeoutSeconds: 90,
      }),
      (s) => s.stop(),
    );
    for (let i = 0; i < CALLS; i++) {
      const d = await app.srf.createUAC(`sip:callee@127.0.0.1:${port}`, { localSdp: sdp() });
      await destroyDialog(d);
    }
    assertSippPassed(await sipp.finished);
    if (t.stats) expect(statNumber(t.stats(), 'retransmissions')).toBeGreaterThan(before);
  }, 120_000);
});
