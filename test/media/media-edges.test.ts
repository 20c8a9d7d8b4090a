/**
 * The embedded media server's less common paths, through drachtio-srf and
 * drachtio-fsmrf: INVITEs fsmrf would never send, an unreachable
 * X-esl-outbound, HEARTBEAT, music on hold from a local stream with an
 * announcement inside it, endless_playback, and a recording that cannot be
 * written.
 */
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import {
  eventually,
  expectNoLeaks,
  type FsmrfEndpoint,
  type Rig,
  RtpPeer,
  startRig,
} from './harness.ts';
import { writeToneWav } from './wav.ts';

let rig: Rig | undefined;
const peers: RtpPeer[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
  await rig?.close();
  rig = undefined;
  for (const c of cleanups.splice(0)) c();
});

interface UacDialog {
  on(ev: 'destroy', cb: () => void): void;
  destroy(): Promise<void>;
}
type CreateUac = (
  uri: string,
  opts: { localSdp?: string; headers: Record<string, string> },
) => Promise<UacDialog>;

function createUac(r: Rig): CreateUac {
  const srf = r.srf as unknown as { createUAC: CreateUac };
  return srf.createUAC.bind(srf);
}

async function peerOffer(): Promise<string> {
  const p = await RtpPeer.open();
  peers.push(p);
  return p.offer();
}

describe('embedded media server: SIP edges', () => {
  it('an INVITE without X-esl-outbound gets 400, one without the fsmrf User-Agent 404', async () => {
    rig = await startRig();
    const uri = `sip:drachtio@127.0.0.1:${rig.media.sipAddress.port}`;
    const localSdp = await peerOffer();
    const e1 = await createUac(rig)(uri, {
      localSdp,
      headers: { 'User-Agent': 'drachtio-fsmrf:1234' },
    }).catch((e: { status?: number }) => e);
    expect((e1 as { status?: number }).status).toBe(400);
    const e2 = await createUac(rig)(uri, {
      localSdp,
      headers: { 'User-Agent': 'someone-else', 'X-esl-outbound': '127.0.0.1:9' },
    }).catch((e: { status?: number }) => e);
    expect((e2 as { status?: number }).status).toBe(404);
    expect(rig.logs.some((l) => /X-esl-outbound/.test(l.msg))).toBe(true);
    await expectNoLeaks(rig.media);
  });

  it('an unreachable X-esl-outbound ends the answered call with a BYE and a log line', async () => {
    rig = await startRig();
    const closedPort = await freePort();
    const dialog = await createUac(rig)(`sip:drachtio@127.0.0.1:${rig.media.sipAddress.port}`, {
      localSdp: await peerOffer(),
      headers: {
        'User-Agent': 'drachtio-fsmrf:5678',
        'X-esl-outbound': `127.0.0.1:${closedPort}`,
      },
    });
    await new Promise<void>((r) => dialog.on('destroy', () => r()));
    expect(rig.logs.some((l) => /cannot connect to X-esl-outbound/.test(l.msg))).toBe(true);
    await expectNoLeaks(rig.media);
  });

  it('garbage and malformed requests on the SIP port get 400 or are dropped; the server goes on', async () => {
    rig = await startRig();
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('utf8')));
    const port = rig.media.sipAddress.port;
    sock.send(Buffer.from([0, 1, 2, 3, 255, 254]), port, '127.0.0.1');
    sock.send(
      'INVITE sip:drachtio@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n',
      port,
      '127.0.0.1',
    );
    await eventually(
      () => got,
      (g) => g.some((m) => m.startsWith('SIP/2.0 400')),
    );
    sock.close();
    expect(rig.logs.some((l) => /SIP: unparsable message/.test(l.msg))).toBe(true);
    const ms = await rig.connectMs();
    const ep = await ms.createEndpoint({ remoteSdp: await peerOffer() });
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('HEARTBEAT reaches fsmrf, which copies Max-Sessions', async () => {
    rig = await startRig({ heartbeatMs: 200 });
    const ms = await rig.connectMs();
    expect(ms.maxSessions).toBe(0);
    await eventually(
      () => ms.maxSessions,
      (n) => n === 1000,
    );
  });
});

describe('embedded media server: music on hold and recording errors', () => {
  async function setupMoh(): Promise<{ rig: Rig; ep: FsmrfEndpoint }> {
    const base = await startRigWithMusic();
    const ms = await base.connectMs();
    const peer = await RtpPeer.open();
    peers.push(peer);
    const ep = await ms.createEndpoint({ remoteSdp: peer.offer() });
    return { rig: base, ep };
  }

  async function startRigWithMusic(): Promise<Rig> {
    const sounds = mkdtempSync(path.join(os.tmpdir(), 'media-sounds-'));
    cleanups.push(() => rmSync(sounds, { recursive: true, force: true }));
    const music = path.join(sounds, 'music');
    mkdirSync(music);
    writeToneWav(path.join(music, 'a.wav'), 300, 200);
    writeToneWav(path.join(music, 'b.wav'), 500, 200);
    writeToneWav(path.join(sounds, 'hello.wav'), 440, 300);
    rig = await startRig({ localStreams: { moh: music }, soundDir: sounds });
    return rig;
  }

  it('local_stream music plays on past an announcement played inside it, and uuid_break ends it', async () => {
    const { rig: r, ep } = await setupMoh();
    const started: string[] = [];
    ep.on('playback-start', (e) => started.push(path.basename(e.file)));
    const music = ep.play('local_stream://moh');
    let musicDone = false;
    void music.then(() => {
      musicDone = true;
    });
    await new Promise((res) => setTimeout(res, 700));
    await ep.play('hello.wav');
    expect(musicDone).toBe(false);
    await ep.api('uuid_break', ep.uuid);
    await music;
    expect(started).toEqual(['moh', 'hello.wav']);
    await ep.destroy();
    await expectNoLeaks(r.media);
  });

  it('endless_playback survives uuid_break and ends with destroy()', async () => {
    const { rig: r, ep } = await setupMoh();
    const done = ep.execute('endless_playback', 'hello.wav');
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    await new Promise((res) => setTimeout(res, 400));
    await ep.api('uuid_break', ep.uuid);
    await new Promise((res) => setTimeout(res, 400));
    expect(finished).toBe(false);
    await ep.destroy();
    await done;
    await expectNoLeaks(r.media);
  });

  it('a recording that cannot be written hangs the channel up, as FreeSWITCH does', async () => {
    const { rig: r, ep } = await setupMoh();
    const destroyed = new Promise<{ reason?: string } | undefined>((res) => ep.on('destroy', res));
    void ep.record('/nonexistent-dir/x/rec.wav', { timeLimitSecs: 2 }).catch(() => undefined);
    expect((await destroyed)?.reason).toBe('NORMAL_TEMPORARY_FAILURE');
    expect(r.logs.some((l) => /record: cannot record/.test(l.msg))).toBe(true);
    await expectNoLeaks(r.media);
  });
});

describe('embedded media server: media timeout', () => {
  it('with media_timeout set, an endpoint that receives no RTP hangs up with MEDIA_TIMEOUT; RTP keeps it up', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const quiet = await RtpPeer.open();
    const talking = await RtpPeer.open();
    peers.push(quiet, talking);
    const a = await ms.createEndpoint({ remoteSdp: quiet.offer() });
    const b = await ms.createEndpoint({ remoteSdp: talking.offer() });
    const destroyedA = new Promise<{ reason?: string } | undefined>((res) => a.on('destroy', res));
    let bDestroyed = false;
    b.on('destroy', () => {
      bDestroyed = true;
    });
    await a.set('media_timeout', '600');
    await b.set('media_timeout', '600');
    const sending = talking.sendTone(Number(/m=audio (\d+)/.exec(b.local.sdp)?.[1]), 1500);
    expect((await destroyedA)?.reason).toBe('MEDIA_TIMEOUT');
    await sending;
    expect(bDestroyed).toBe(false);
    expect(rig.logs.some((l) => /media timeout/.test(l.msg))).toBe(true);
    await b.destroy();
    await expectNoLeaks(rig.media);
  });
});
