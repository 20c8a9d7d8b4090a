/**
 * createB2BUA between two sipp instances through the server under test:
 * sipp (caller) → server → srf B2BUA → server → sipp (callee), over UDP and
 * TCP, with the caller hanging up, the callee hanging up, and the callee
 * busy (the failure is passed back to the caller).
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertAllSippPassed, runSipp, startSipp } from '../../support/sipp.ts';
import { useCleanup, useSipTarget, waitFor } from './helpers/harness.ts';
import { type Dialog, SrfApp } from './helpers/srf.ts';

const target = useSipTarget();
const track = useCleanup();

async function b2bua(
  calleeUri: string,
): Promise<{ app: SrfApp; legs: Array<{ uas: Dialog; uac: Dialog }>; failures: unknown[] }> {
  const app = track(await SrfApp.connect(target().drachtio), (a) => a.close());
  const legs: Array<{ uas: Dialog; uac: Dialog }> = [];
  const failures: unknown[] = [];
  app.srf.invite(async (req, res) => {
    try {
      const { uas, uac } = await app.srf.createB2BUA(req, res, calleeUri, { localSdpB: req.body });
      // Whoever hangs up, the other leg is ended too.
      uas.on('destroy', () => uac.destroy());
      uac.on('destroy', () => uas.destroy());
      legs.push({ uas, uac });
    } catch (err) {
      failures.push(err);
    }
  });
  return { app, legs, failures };
}

describe.each(['udp', 'tcp'] as const)('B2BUA between two sipp instances over %s', (transport) => {
  const scenarios = [
    { name: 'the caller hangs up', caller: 'uac-answer', callee: 'uas-answer', ok: true },
    {
      name: 'the callee hangs up',
      caller: 'uac-wait-bye',
      callee: 'uas-answer-then-bye',
      ok: true,
    },
    {
      name: 'the callee is busy and the 486 reaches the caller',
      caller: 'uac-expect-486',
      callee: 'uas-busy',
      ok: false,
    },
  ];
  it.each(scenarios)('connects both legs when $name', async ({ caller, callee, ok }) => {
    const t = target();
    const calleePort = await freePort();
    const b = track(
      await startSipp({ scenario: callee, transport, localPort: calleePort, timeoutSeconds: 20 }),
      (s) => s.stop(),
    );
    const { legs, failures } = await b2bua(
      `sip:callee@127.0.0.1:${calleePort}${transport === 'tcp' ? ';transport=tcp' : ''}`,
    );
    const a = await runSipp({
      scenario: caller,
      transport,
      service: 'b2bua',
      localPort: await freePort(),
      remote: { host: t.sipHost, port: t.sipPort },
      timeoutSeconds: 20,
    });
    assertAllSippPassed([
      ['caller sipp', a],
      ['callee sipp', await b.finished],
    ]);
    if (ok) {
      expect(legs).toHaveLength(1);
      expect(failures).toHaveLength(0);
    } else {
      await waitFor(() => failures.length === 1, 3000, 'B2BUA failure');
      expect(failures[0]).toMatchObject({ status: 486 });
    }
  });
});
