/**
 * A drachtio-srf app calls sipp through the server under test (the app is
 * the UAC): answer, busy, no answer then CANCEL, a 200 that crosses the
 * CANCEL, BYE from the callee, re-INVITE from the app — over UDP and TCP.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { type SippProcess, assertSippPassed, raceSipp, startSipp } from '../../support/sipp.ts';
import { statNumber } from '../../support/sip-target.ts';
import { useCleanup, useSipTarget, waitFor } from './helpers/harness.ts';
import { SrfApp, type SentRequest, destroyDialog, onceDestroyed, sdp } from './helpers/srf.ts';

const target = useSipTarget();
const track = useCleanup();

async function app(): Promise<SrfApp> {
  return track(await SrfApp.connect(target().drachtio), (a) => a.close());
}

async function callee(
  scenario: string,
  transport: 'udp' | 'tcp',
): Promise<{ sipp: SippProcess; uri: string }> {
  const port = await freePort();
  const sipp = track(
    await startSipp({ scenario, transport, localPort: port, timeoutSeconds: 20 }),
    (s) => s.stop(),
  );
  return {
    sipp,
    uri: `sip:callee@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
  };
}

/** createUAC to `uri` that CANCELs its INVITE once it rings (180); `onRinging` runs just before. */
function cancelOnRinging(a: SrfApp, uri: string, onRinging: () => void = () => {}) {
  let sent: SentRequest | undefined;
  return a.srf.createUAC(
    uri,
    { localSdp: sdp() },
    {
      cbRequest: (_err, req) => {
        sent = req;
      },
      cbProvisional: (res) => {
        if (res.status !== 180) return;
        onRinging();
        sent?.cancel();
      },
    },
  );
}

describe.each(['udp', 'tcp'] as const)(
  'srf UAC through the server, sipp answering over %s',
  (transport) => {
    it('is answered (createUAC resolves) and hangs up', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-answer', transport);
      const dialog = await raceSipp(sipp, a.srf.createUAC(uri, { localSdp: sdp() }));
      expect(dialog.remote.sdp).toMatch(/^v=0/);
      await raceSipp(sipp, destroyDialog(dialog));
      assertSippPassed(await sipp.finished);
    });

    it('gets 486 from a busy callee (createUAC rejects, the server ACKs)', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-busy', transport);
      await expect(raceSipp(sipp, a.srf.createUAC(uri, { localSdp: sdp() }))).rejects.toMatchObject(
        {
          status: 486,
        },
      );
      assertSippPassed(await sipp.finished);
    });

    it('cancels a call that rings without answer (createUAC rejects 487)', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-ring-cancel', transport);
      const call = cancelOnRinging(a, uri);
      await expect(raceSipp(sipp, call)).rejects.toMatchObject({ status: 487 });
      assertSippPassed(await sipp.finished);
    });

    it('keeps a request only until its final response, while its transaction lingers', async () => {
      const t = target();
      const a = await app();
      const counts = () =>
        t.stats
          ? {
              unanswered: statNumber(t.stats(), 'unansweredRequests'),
              clientTxns: statNumber(t.stats(), 'clientTransactions'),
            }
          : null;
      const ringing = await callee('uas-ring-cancel', transport);
      let whileRinging: ReturnType<typeof counts> = null;
      const call = cancelOnRinging(a, ringing.uri, () => {
        whileRinging = counts();
      });
      await expect(raceSipp(ringing.sipp, call)).rejects.toMatchObject({ status: 487 });
      assertSippPassed(await ringing.sipp.finished);
      const afterCancel = counts();

      const answering = await callee('uas-answer', transport);
      const dialog = await raceSipp(
        answering.sipp,
        a.srf.createUAC(answering.uri, { localSdp: sdp() }),
      );
      // The answered INVITE's transaction stays (Accepted, 64×T1) to re-ACK a
      // retransmitted 200; its request is no longer held.
      const answered = counts();
      await raceSipp(answering.sipp, destroyDialog(dialog));
      assertSippPassed(await answering.sipp.finished);
      if (!t.stats) {
        console.info('external drachtio-server: no counters to read here');
        return;
      }
      expect(whileRinging).toMatchObject({ unanswered: 1 });
      expect(afterCancel).toMatchObject({ unanswered: 0 });
      expect(answered?.unanswered).toBe(0);
      expect(answered?.clientTxns).toBeGreaterThanOrEqual(1);
    });

    it('tears down a 200 that crosses its CANCEL with ACK then BYE', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-200-crosses-cancel', transport);
      const call = cancelOnRinging(a, uri);
      // srf resolves with the dialog (the 200 won), then the server's
      // unsolicited BYE ends it (drachtio-wire §7.7).
      const dialog = await raceSipp(sipp, call);
      const { reason } = await raceSipp(sipp, onceDestroyed(dialog));
      expect(reason).toBe('ACK-BYE due to cancel race condition');
      assertSippPassed(await sipp.finished);
    });

    it('sees the callee hang up (BYE from the network side)', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-answer-then-bye', transport);
      const dialog = await raceSipp(sipp, a.srf.createUAC(uri, { localSdp: sdp() }));
      const destroyed = onceDestroyed(dialog);
      await raceSipp(sipp, destroyed);
      assertSippPassed(await sipp.finished);
    });

    it('re-INVITEs the callee with dialog.modify, then hangs up', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-answer-reinvite', transport);
      const dialog = await raceSipp(sipp, a.srf.createUAC(uri, { localSdp: sdp() }));
      const answer = await raceSipp(sipp, dialog.modify(sdp(40010, 'modified')));
      expect(answer).toMatch(/^v=0/);
      await raceSipp(sipp, destroyDialog(dialog));
      assertSippPassed(await sipp.finished);
    });

    it('sends an out-of-dialog request with srf.request and relays the final response', async () => {
      const a = await app();
      const { sipp, uri } = await callee('uas-busy', transport);
      // The INVITE gets 486; srf.request hands back each response.
      const res = await raceSipp(sipp, a.requestFinal(uri, { method: 'INVITE', body: sdp() }));
      expect(res.status).toBe(486);
      assertSippPassed(await sipp.finished);
      await waitFor(() => !sipp.running, 3000, 'sipp exit');
    });
  },
);
