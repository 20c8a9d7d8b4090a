/**
 * An app request that names an established dialog's Call-ID and no dialog id
 * goes inside that dialog, whichever app created it (drachtio-server's rule,
 * src/client.cpp). A new leader ends the legs of a dead one this way: here
 * app A calls sipp and disconnects, app B sends the BYE by Call-ID alone.
 */
import { expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, raceSipp, startSipp } from '../../support/sipp.ts';
import { useCleanup, useSipTarget } from './helpers/harness.ts';
import { SrfApp, sdp } from './helpers/srf.ts';

const target = useSipTarget();
const track = useCleanup();

it("ends another app's dialog from its Call-ID alone (Request-URI placeholder)", async () => {
  const port = await freePort();
  const sipp = track(
    await startSipp({
      scenario: 'uas-answer',
      transport: 'udp',
      localPort: port,
      timeoutSeconds: 20,
    }),
    (s) => s.stop(),
  );
  const a = track(await SrfApp.connect(target().drachtio), (x) => x.close());
  const dialog = await raceSipp(
    sipp,
    a.srf.createUAC(`sip:callee@127.0.0.1:${port}`, { localSdp: sdp() }),
  );
  const callId = dialog.sip.callId;
  a.close();

  const b = track(await SrfApp.connect(target().drachtio), (x) => x.close());
  const res = await raceSipp(
    sipp,
    b.requestFinal('sip:placeholder', { method: 'BYE', headers: { 'Call-ID': callId } }),
  );
  expect(res.status).toBe(200);
  // sipp checks the BYE came inside the dialog (its tags and Call-ID).
  assertSippPassed(await sipp.finished);
});

it('sends a request as a new one when no established dialog has its Call-ID', async () => {
  const b = track(await SrfApp.connect(target().drachtio), (x) => x.close());
  const port = await freePort();
  const sipp = track(
    await startSipp({
      scenario: 'uas-answer',
      transport: 'udp',
      localPort: port,
      timeoutSeconds: 20,
    }),
    (s) => s.stop(),
  );
  // A fresh Call-ID given by the app is used for a new INVITE (a new dialog).
  const dialog = await raceSipp(
    sipp,
    b.srf.createUAC(`sip:callee@127.0.0.1:${port}`, {
      localSdp: sdp(),
      headers: { 'Call-ID': 'fresh-call-id@test' },
    }),
  );
  expect(dialog.sip.callId).toBe('fresh-call-id@test');
  await dialog.destroy();
  assertSippPassed(await sipp.finished);
});
