/**
 * `ms.connectCaller(req, res)`, the way an app answers a caller into the
 * media server: a caller (drachtio-srf as UAC, with an RtpPeer's SDP) calls
 * the SIP server, the app's INVITE handler connects it to an endpoint, the
 * caller gets the endpoint's SDP and hears what the endpoint plays; the
 * caller's BYE lets the app destroy the endpoint.
 */
import path from 'node:path';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventually,
  expectNoLeaks,
  type FsmrfEndpoint,
  type Rig,
  RtpPeer,
  startRig,
} from './harness.ts';
import { startSipTarget } from '../support/sip-target.ts';
import { writeToneWav } from './wav.ts';

let rig: Rig | undefined;
const peers: RtpPeer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const p of peers.splice(0)) await p.close();
  await rig?.close();
  rig = undefined;
});

interface Dialog {
  remote: { sdp: string };
  on(ev: 'destroy', cb: () => void): void;
  destroy(): Promise<void>;
}
interface SrfApp {
  invite(h: (req: unknown, res: unknown) => void): void;
  createUAC(
    uri: string,
    opts: { localSdp: string; headers?: Record<string, string> },
  ): Promise<Dialog>;
}
interface ConnectCaller {
  connectCaller(req: unknown, res: unknown): Promise<{ endpoint: FsmrfEndpoint; dialog: Dialog }>;
}

describe('connectCaller on the embedded media server', () => {
  it('answers a caller with the endpoint SDP; the caller hears the prompt; its BYE ends the call', async () => {
    rig = await startRig();
    writeToneWav(path.join(rig.dir, 'welcome.wav'), 440, 500);
    const ms = (await rig.connectMs()) as unknown as ConnectCaller;
    const srf = rig.srf as unknown as SrfApp;
    const answered = new Promise<{ endpoint: FsmrfEndpoint; dialog: Dialog }>((resolve, reject) => {
      srf.invite((req, res) => {
        ms.connectCaller(req, res).then(resolve, reject);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    const caller = await RtpPeer.open();
    peers.push(caller);
    // The caller is another drachtio-srf app on a SIP server of its own.
    const callerSide = await startSipTarget();
    cleanups.push(() => callerSide.close());
    const callerSrf = new (
      Srf as unknown as new () => SrfApp & {
        connect(o: unknown): void;
        disconnect(): void;
        on(ev: string, cb: (err?: Error) => void): void;
      }
    )();
    callerSrf.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      callerSrf.on('connect', (err) => (err ? reject(err) : resolve()));
      callerSrf.connect(callerSide.drachtio);
    });
    cleanups.push(async () => callerSrf.disconnect());
    const callerDialog = await callerSrf.createUAC(`sip:support@127.0.0.1:${rig.target.sipPort}`, {
      localSdp: caller.offer(['PCMA']),
    });
    const { endpoint, dialog } = await answered;
    expect(callerDialog.remote.sdp).toBe(endpoint.local.sdp);
    expect(endpoint.local.sdp).toMatch(/m=audio \d+ RTP\/AVP 8 101/);
    const before = caller.received.length;
    await endpoint.play('welcome.wav');
    await eventually(
      () => caller.received.length - before,
      (n) => n >= 20,
    );
    const callerGone = new Promise<void>((r) => dialog.on('destroy', () => r()));
    await callerDialog.destroy();
    await callerGone;
    await endpoint.destroy();
    await expectNoLeaks(rig.media);
  });
});
