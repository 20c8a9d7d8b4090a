/**
 * The OPTIONS prober with its real `sendOptions` (srf.request through the SIP
 * server under test) against sipp answering as a phone, and against a port
 * where nothing listens any more.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OptionsProber, type ProbeTarget } from '../../src/calls/reachability/options-prober.ts';
import { type SrfRequester, srfSendOptions } from '../../src/calls/srf/srf-options.ts';
import { useCleanup, useSipTarget, waitFor } from '../edge/e2e/helpers/harness.ts';
import { SrfApp } from '../edge/e2e/helpers/srf.ts';
import { freePort, udpPortInUse } from '../support/ports.ts';
import { assertSippPassed, countInTrace, SippProcess } from '../support/sipp.ts';

const scenario = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'scenarios',
  'uas-options-200.xml',
);
const target = useSipTarget();
const track = useCleanup();

describe('OptionsProber through srf and the SIP server', () => {
  it('keeps a phone that answers reachable and marks a silent address unreachable', async () => {
    const app = track(await SrfApp.connect(target().drachtio), (a) => a.close());
    const phonePort = await freePort();
    const phone = track(
      new SippProcess({ scenario, localPort: phonePort, calls: 2, timeoutSeconds: 20 }),
      (s) => s.stop(),
    );
    // The first probe must find sipp listening: a closed port now counts at once.
    for (let i = 0; !(await udpPortInUse(phonePort)); i++) {
      if (i > 200) throw new Error('sipp did not start listening');
      await new Promise((r) => setTimeout(r, 50));
    }
    const gonePort = await freePort(); // nothing listens here
    const changes: [string, boolean][] = [];
    const prober = track(
      new OptionsProber({
        // srf's typings lag its code; its request() has the shape SrfRequester declares.
        sendOptions: srfSendOptions(app.srf as unknown as SrfRequester),
        intervalMs: 1_000,
        timeoutMs: 6_000,
        failuresBeforeUnreachable: 1,
        random: () => 0,
        onChange: (t, reachable) => changes.push([t.contactUri, reachable]),
      }),
      (p) => p.close(),
    );
    const at = (port: number): ProbeTarget => ({
      agentId: 'a1',
      contactUri: `sip:1001@127.0.0.1:${port}`,
      nextHop: `sip:127.0.0.1:${port};transport=udp`,
    });
    prober.sync('a1', [at(phonePort), at(gonePort)]);
    await waitFor(
      () => prober.isUnreachable(at(gonePort).contactUri),
      15_000,
      'the silent address to be unreachable',
    );
    const result = await phone.finished;
    // sipp has answered its two OPTIONS and exited: stop probing it before the
    // next probe (a second later) would find it gone.
    const changesWhilePhoneUp = [...changes];
    prober.untrack(at(phonePort).contactUri);
    assertSippPassed(result);
    expect(countInTrace(result.messages, /^OPTIONS sip:1001@127\.0\.0\.1/, 'received')).toBe(2);
    expect(changesWhilePhoneUp).toEqual([[at(gonePort).contactUri, false]]);
  });

  it('marks a device whose port is closed unreachable after one probe (the server answers 503 at once)', async () => {
    const app = track(await SrfApp.connect(target().drachtio), (a) => a.close());
    const gonePort = await freePort(); // nothing listens here: ICMP port unreachable
    const send = srfSendOptions(app.srf as unknown as SrfRequester);
    let probes = 0;
    const prober = track(
      new OptionsProber({
        sendOptions: (t) => {
          probes++;
          return send(t);
        },
        intervalMs: 60_000,
        timeoutMs: 6_000,
        failuresBeforeUnreachable: 3,
        random: () => 0,
      }),
      (p) => p.close(),
    );
    const gone: ProbeTarget = {
      agentId: 'a1',
      contactUri: `sip:1001@127.0.0.1:${gonePort}`,
      nextHop: `sip:127.0.0.1:${gonePort};transport=udp`,
    };
    prober.sync('a1', [gone]);
    await waitFor(
      () => prober.isUnreachable(gone.contactUri),
      10_000,
      'the closed port to be unreachable',
    );
    expect(probes).toBe(1);
  });
});
