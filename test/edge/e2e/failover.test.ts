/**
 * A call leg whose app died is ended by another app, as on drachtio-server:
 * a request without a dialog id whose Call-ID is that of an established
 * dialog goes inside that dialog (route set, tags, next CSeq, remote
 * target), whichever app owns it; a `placeholder` Request-URI means the
 * remote target. sipp is the caller and must get an in-dialog BYE.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, raceSipp, SippProcess, startSipp } from '../../support/sipp.ts';
import { useCleanup, useSipTarget, waitFor } from './helpers/harness.ts';
import { SrfApp, sdp } from './helpers/srf.ts';

const target = useSipTarget();
const track = useCleanup();

async function app(): Promise<SrfApp> {
  return track(await SrfApp.connect(target().drachtio), (a) => a.close());
}

/** The first app is gone; the embedded server still holds its dialog. */
async function firstAppGone(first: SrfApp): Promise<void> {
  const t = target();
  first.close();
  if (!t.stats) return;
  await waitFor(() => t.stats?.().appConnections === 0, 3000, 'first app gone');
  expect(t.stats().dialogs).toBe(1);
}

/** A second app hangs the leg up by its Call-ID; sipp must see the BYE and answer 200. */
async function secondAppHangsUp(callId: string, caller: SippProcess): Promise<void> {
  const t = target();
  const second = await app();
  const res = await second.requestFinal('sip:placeholder', {
    method: 'BYE',
    headers: { 'Call-ID': callId },
  });
  expect(res.status).toBe(200);
  assertSippPassed(await caller.finished);
  if (t.stats) await waitFor(() => t.stats?.().dialogs === 0, 3000, 'dialog ended');
}

describe.each(['udp', 'tcp'] as const)(
  'a call leg orphaned by a dead app, over %s',
  (transport) => {
    it('is ended by another app with an out-of-dialog BYE naming its Call-ID', async () => {
      const t = target();
      const first = await app();
      const answered: string[] = [];
      first.srf.invite(async (req, res) => {
        await first.srf.createUAS(req, res, { localSdp: sdp() });
        answered.push(req.get('Call-ID'));
      });
      const caller = track(
        new SippProcess({
          scenario: 'uac-wait-bye',
          transport,
          service: 'app',
          localPort: await freePort(),
          remote: { host: t.sipHost, port: t.sipPort },
          timeoutSeconds: 20,
        }),
        (p) => p.stop(),
      );
      await waitFor(() => answered.length === 1, 5000, 'call answered by the first app');
      await firstAppGone(first);
      await secondAppHangsUp(answered[0] as string, caller);
    });

    it('ends a leg the dead app had placed (it was the UAC)', async () => {
      const first = await app();
      const port = await freePort();
      const callee = track(
        await startSipp({ scenario: 'uas-answer', transport, localPort: port, timeoutSeconds: 20 }),
        (p) => p.stop(),
      );
      const uri = `sip:callee@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
      const dialog = await raceSipp(callee, first.srf.createUAC(uri, { localSdp: sdp() }));
      await firstAppGone(first);
      await secondAppHangsUp(dialog.sip.callId, callee);
    });
  },
);
