/**
 * Media operations through drachtio-fsmrf's Endpoint on the embedded media
 * server: play (files, lists, tone and silence streams, break, nesting),
 * playCollect with RFC 4733 digits, record, bridge, and the hangup paths.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventually,
  expectNoLeaks,
  type FsmrfEndpoint,
  type FsmrfMediaServer,
  type Rig,
  RtpPeer,
  sdpPort,
  startRig,
} from './harness.ts';
import { writeFloatWav, writeToneWav } from './wav.ts';

let rig: Rig | undefined;
const peers: RtpPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
  await rig?.close();
  rig = undefined;
});

async function endpoint(ms: FsmrfMediaServer): Promise<{ ep: FsmrfEndpoint; peer: RtpPeer }> {
  const peer = await RtpPeer.open();
  peers.push(peer);
  const ep = await ms.createEndpoint({ remoteSdp: peer.offer() });
  return { ep, peer };
}

async function setup(): Promise<{
  rig: Rig;
  ms: FsmrfMediaServer;
  ep: FsmrfEndpoint;
  peer: RtpPeer;
}> {
  rig = await startRig();
  writeToneWav(path.join(rig.dir, 'hello.wav'), 440, 400);
  writeToneWav(path.join(rig.dir, 'world.wav'), 880, 300);
  const ms = await rig.connectMs();
  const { ep, peer } = await endpoint(ms);
  return { rig, ms, ep, peer };
}

describe('Endpoint media on the embedded media server', () => {
  it('play(file) sends the file as RTP and resolves with the playback counters', async () => {
    const { rig, ep, peer } = await setup();
    const events: string[] = [];
    ep.on('playback-start', (e) => events.push(`start ${path.basename(e.file)}`));
    ep.on('playback-stop', (e) => events.push(`stop ${path.basename(e.file)}`));
    const before = peer.received.length;
    const r = await ep.play('hello.wav');
    expect(Number(r.playbackMilliseconds)).toBeGreaterThanOrEqual(350);
    expect(r.playbackSeconds).toBe('0');
    expect(events).toEqual(['start hello.wav', 'stop hello.wav']);
    expect(peer.received.length - before).toBeGreaterThanOrEqual(15);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('play([a, b]) plays both files in order (playback_delimiter)', async () => {
    const { rig, ep } = await setup();
    const started: string[] = [];
    ep.on('playback-start', (e) => started.push(path.basename(e.file)));
    await ep.play([path.join(rig.dir, 'hello.wav'), 'world.wav']);
    expect(started).toEqual(['hello.wav', 'world.wav']);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('a missing prompt rejects with File Not Found, logs it, and the call goes on', async () => {
    const { rig, ep } = await setup();
    await expect(ep.play('no-such-prompt.wav')).rejects.toThrow(/File Not Found/);
    expect(rig.logs.some((l) => l.msg === 'playback: FILE NOT FOUND')).toBe(true);
    const r = await ep.play('silence_stream://200');
    expect(Number(r.playbackMilliseconds)).toBeGreaterThanOrEqual(150);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('a WAV that is not PCM gives PLAYBACK ERROR with a clear log line, and the call goes on', async () => {
    const { rig, ep } = await setup();
    writeFloatWav(path.join(rig.dir, 'float.wav'), 300);
    const done = await ep.execute('playback', 'float.wav');
    expect(done.getHeader('Application-Response')).toBe('PLAYBACK ERROR');
    const line = rig.logs.find((l) => l.msg === 'playback: PLAYBACK ERROR');
    expect(String(line?.file)).toMatch(/float\.wav$/);
    expect(String(line?.reason)).not.toBe('');
    await ep.play('hello.wav');
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('uuid_break ends an endless silence_stream and play() resolves', async () => {
    const { rig, ep } = await setup();
    const playing = ep.play('silence_stream://-1');
    await new Promise((r) => setTimeout(r, 300));
    const res = await ep.api('uuid_break', ep.uuid);
    expect(res.getBody()).toBe('+OK\n');
    const r = await playing;
    expect(Number(r.playbackMilliseconds)).toBeGreaterThanOrEqual(250);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('a play started during another runs inside it: the inner one completes first', async () => {
    const { rig, ep } = await setup();
    const order: string[] = [];
    const outer = ep.play('silence_stream://600').then(() => {
      order.push('outer');
      return performance.now();
    });
    await new Promise((r) => setTimeout(r, 150));
    await ep.play('hello.wav').then(() => order.push('inner'));
    const innerAt = performance.now();
    const outerAt = await outer;
    expect(order).toEqual(['inner', 'outer']);
    // The outer play resumed after the inner one: its item plays again (at least 600 ms more).
    expect(outerAt - innerAt).toBeGreaterThanOrEqual(550);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('tone_stream plays and reports its file type', async () => {
    const { rig, ep } = await setup();
    const r = await ep.play('tone_stream://%(200,100,440)');
    expect(Number(r.playbackMilliseconds)).toBeGreaterThanOrEqual(200);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('playCollect collects RFC 4733 digits until the terminator; the endpoint emits dtmf', async () => {
    const { rig, ep, peer } = await setup();
    const dtmf: string[] = [];
    ep.on('dtmf', (e) => dtmf.push(e.dtmf));
    const collecting = ep.playCollect({
      file: 'silence_stream://5000',
      min: 1,
      max: 5,
      tries: 1,
      timeout: 4000,
      digitTimeout: 3000,
      terminators: '#',
    });
    await new Promise((r) => setTimeout(r, 200));
    const port = sdpPort(ep.local.sdp);
    for (const d of ['1', '2', '#']) await peer.sendDigit(d, port);
    const r = await collecting;
    expect(r.digits).toBe('12');
    expect(r.terminatorUsed).toBe('#');
    expect(dtmf).toEqual(['1', '2', '#']);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('variables with % and non-ASCII text read back exactly as set', async () => {
    const { rig, ep } = await setup();
    await ep.set('odd_value', '100%FF 50%25 é&=:');
    const vars = await ep.getChannelVariables();
    expect(vars.variable_odd_value).toBe('100%FF 50%25 é&=:');
    const done = await ep.execute('set', 'other=a%zz');
    expect(done.getHeader('variable_other')).toBe('a%zz');
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('playCollect times out without digits (read_result timeout) and retries the invalid input', async () => {
    const { rig, ep, peer } = await setup();
    const collecting = ep.playCollect({
      file: 'silence_stream://100',
      min: 2,
      max: 2,
      tries: 2,
      timeout: 1000,
      digitTimeout: 300,
      regexp: '^[12]+$',
    });
    await new Promise((r) => setTimeout(r, 250));
    await peer.sendDigit('9', sdpPort(ep.local.sdp));
    const r = await collecting;
    expect(r.digits ?? undefined).toBeUndefined();
    expect(r.invalidDigits).toBe('9');
    const vars = await ep.getChannelVariables();
    expect(vars.variable_read_result).toBe('timeout');
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('record() writes a WAV until the time limit', async () => {
    const { rig, ep, peer } = await setup();
    const file = path.join(rig.dir, 'rec1.wav');
    const sending = peer.sendTone(sdpPort(ep.local.sdp), 1200);
    const r = await ep.record(file, { timeLimitSecs: 1 });
    await sending;
    expect(r.recordSeconds).toBe('1');
    expect(Number(r.recordMilliseconds)).toBeGreaterThanOrEqual(950);
    expect(existsSync(file) && statSync(file).size > 44).toBe(true);
    // It holds what the peer sent (a loud square wave), not silence.
    const wav = readFileSync(file);
    const data = wav.subarray(wav.indexOf('data') + 8);
    let sum = 0;
    for (let i = 0; i + 1 < data.length; i += 2) sum += Math.abs(data.readInt16LE(i));
    expect(sum / (data.length / 2)).toBeGreaterThan(1000);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('record() ends on a digit in playback_terminators and reports it', async () => {
    const { rig, ep, peer } = await setup();
    await ep.set('playback_terminators', '#');
    const file = path.join(rig.dir, 'rec2.wav');
    const recording = ep.record(file, { timeLimitSecs: 10 });
    await peer.sendTone(sdpPort(ep.local.sdp), 400);
    await peer.sendDigit('#', sdpPort(ep.local.sdp));
    const r = await recording;
    expect(r.terminatorUsed).toBe('#');
    expect(Number(r.recordMilliseconds)).toBeLessThan(5000);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('bridge() relays RTP between two endpoints; unbridge() ends it', async () => {
    const { rig, ms, ep: a, peer: pa } = await setup();
    // The other leg speaks PCMA: the relay transcodes.
    const pb = await RtpPeer.open();
    peers.push(pb);
    const b = await ms.createEndpoint({ remoteSdp: pb.offer(['PCMA']) });
    await a.bridge(b);
    await new Promise((r) => setTimeout(r, 100));
    const before = pb.received.length;
    await pa.sendTone(sdpPort(a.local.sdp), 400);
    await eventually(
      () => pb.received.length - before,
      (n) => n >= 15,
    );
    const res = await a.api('uuid_bridge', [a.uuid, 'no-such-uuid']);
    expect(res.getBody()).toBe('-ERR Invalid uuid\n');
    await a.unbridge();
    await a.destroy();
    await b.destroy();
    await expectNoLeaks(rig.media);
  });

  it('destroy() during a play resolves the play and the BYE', async () => {
    const { rig, ep } = await setup();
    const playing = ep.play('silence_stream://5000');
    await new Promise((r) => setTimeout(r, 200));
    await ep.destroy();
    await playing;
    await expectNoLeaks(rig.media);
  });

  it('an unknown application hangs the channel up (DESTINATION_OUT_OF_ORDER), as FreeSWITCH does', async () => {
    const { rig, ep } = await setup();
    const destroyed = new Promise<{ reason?: string } | undefined>((r) => ep.on('destroy', r));
    void ep.execute('no_such_app', 'x').catch(() => undefined);
    expect((await destroyed)?.reason).toBe('DESTINATION_OUT_OF_ORDER');
    expect(rig.logs.some((l) => /unknown application/.test(l.msg))).toBe(true);
    await expectNoLeaks(rig.media);
  });

  it('forty endpoints, eight at a time, each playing then destroyed, leave nothing behind', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const one = async (): Promise<void> => {
      const { ep } = await endpoint(ms);
      await ep.play('silence_stream://100');
      await ep.destroy();
    };
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(Array.from({ length: 8 }, one));
    }
    await expectNoLeaks(rig.media);
    for (const p of peers.splice(0)) await p.close();
  });
});
