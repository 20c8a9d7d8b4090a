/**
 * No leaks (§11.53): 10,000 calls from sipp over UDP
 * at a fast rate into a minimal srf UAS app through the embedded server, then
 * — once the transactions' linger timers (I, J, K, D; at most 64×T1 with the
 * small test timers) have run out — the server's own counters must show no
 * transaction, dialog, timer or pending request left.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, runSipp } from '../../support/sipp.ts';
import { statNumber } from '../../support/sip-target.ts';
import { useCleanup, useSipTarget, waitFor } from './helpers/harness.ts';
import { SrfApp, sdp } from './helpers/srf.ts';

const CALLS = 10_000;
const target = useSipTarget();
const track = useCleanup();

describe('no leaks after many calls', () => {
  it(`leaves no transaction, dialog, timer or pending request after ${CALLS} calls`, async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const localSdp = sdp();
    let answered = 0;
    let ended = 0;
    app.srf.invite((req, res) => {
      app.srf.createUAS(req, res, { localSdp }).then(
        (d) => {
          answered++;
          d.on('destroy', () => ended++);
        },
        () => undefined,
      );
    });
    const r = await runSipp({
      scenario: 'uac-answer',
      calls: CALLS,
      rate: 400,
      limit: 400,
      localPort: await freePort(),
      remote: { host: t.sipHost, port: t.sipPort },
      timeoutSeconds: 240,
      traceMessages: false,
    });
    assertSippPassed(r);
    expect(answered).toBe(CALLS);
    await waitFor(() => ended === CALLS, 10_000, 'every dialog destroyed in the app');
    if (!t.stats) {
      console.info(
        'external drachtio-server: no counters to read here; check its status dump for leaks',
      );
      return;
    }
    const stats = t.stats;
    const live = () => ({
      transactions: statNumber(stats(), 'transactions'),
      dialogs: statNumber(stats(), 'dialogs'),
      pendingRequests: statNumber(stats(), 'pendingRequests'),
      timers: statNumber(stats(), 'timers'),
    });
    const drain = 64 * t.timers.t1Ms + t.timers.t4Ms + 5000;
    await waitFor(
      () => Object.values(live()).every((n) => n === 0),
      drain,
      'live counters to drain',
    ).catch(() => undefined);
    expect(live(), JSON.stringify(stats())).toEqual({
      transactions: 0,
      dialogs: 0,
      pendingRequests: 0,
      timers: 0,
    });
  }, 300_000);
});
