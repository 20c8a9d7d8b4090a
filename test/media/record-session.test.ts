/**
 * Session recordings through drachtio-fsmrf 4.1.2 on the embedded media
 * server, as FreeSWITCH runs them: `recordSession()` (the `record_session`
 * application) and `uuid_record <uuid> start|stop <path> [limit]`, on two
 * endpoints bridged with real RTP. With RECORD_STEREO=true the recording
 * channel's read leg (its own peer: the caller) is left and its write leg
 * (the bridged side: the agent) right.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeG711 } from '../../src/media/audio/g711.ts';
import { tone, toneRatio } from '../support/audio.ts';
import { RtpPeer } from '../support/rtp-peer.ts';
import {
  eventually,
  expectNoLeaks,
  type FsmrfEndpoint,
  type FsmrfMediaServer,
  type Rig,
  sdpPort,
  startRig,
} from './harness.ts';

type Endpoint = FsmrfEndpoint & { recordSession(...args: string[]): Promise<unknown> };

const CALLER_HZ = 600;
const AGENT_HZ = 1400;

let rig: Rig | undefined;
const peers: RtpPeer[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  // Unmount first: the rig removes its folder on close.
  for (const c of cleanups.splice(0)) c();
  for (const p of peers.splice(0)) await p.close();
  await rig?.close();
  rig = undefined;
});

const ulaw = (pcm: Int16Array) => {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMU', pcm, out);
  return out;
};

function offer(port: number): string {
  return `${[
    'v=0',
    'o=peer 1 1 IN IP4 127.0.0.1',
    's=peer',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
  ].join('\r\n')}\r\n`;
}

interface Leg {
  ep: Endpoint;
  peer: RtpPeer;
  /** Sends `ms` of a tone at `hz` to the endpoint, paced in real time. */
  say(hz: number, ms: number): Promise<void>;
}

async function leg(ms: FsmrfMediaServer): Promise<Leg> {
  const peer = await RtpPeer.open();
  peers.push(peer);
  const ep = (await ms.createEndpoint({ remoteSdp: offer(peer.port) })) as Endpoint;
  const target = { address: '127.0.0.1', port: sdpPort(ep.local.sdp) };
  return { ep, peer, say: (hz, ms) => peer.sendAudio(target, 0, tone([hz], ms), ulaw) };
}

/** A caller leg and an agent leg, bridged in the media server. */
async function bridgedCall(): Promise<{ rig: Rig; caller: Leg; agent: Leg }> {
  rig = await startRig();
  const ms = await rig.connectMs();
  const caller = await leg(ms);
  const agent = await leg(ms);
  await caller.ep.bridge(agent.ep);
  return { rig, caller, agent };
}

/** This test's own WAV reader: the channels kept apart. */
function readStereo(file: string): {
  channels: number;
  left: Int16Array;
  right: Int16Array;
  riffSize: number;
  dataBytes: number;
  fileBytes: number;
} {
  const buf = readFileSync(file);
  expect(buf.toString('latin1', 0, 4)).toBe('RIFF');
  expect(buf.toString('latin1', 36, 40)).toBe('data');
  const channels = buf.readUInt16LE(22);
  expect(buf.readUInt32LE(24)).toBe(8000);
  expect(buf.readUInt16LE(34)).toBe(16);
  expect(buf.readUInt32LE(28)).toBe(8000 * 2 * channels);
  const dataBytes = buf.readUInt32LE(40);
  const frames = Math.floor(dataBytes / (2 * channels));
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = buf.readInt16LE(44 + 2 * channels * i);
    right[i] = buf.readInt16LE(44 + 2 * channels * i + 2 * (channels - 1));
  }
  return { channels, left, right, riffSize: buf.readUInt32LE(4), dataBytes, fileBytes: buf.length };
}

function hiddenParts(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.part'));
}

function dump(ep: FsmrfEndpoint): Promise<Record<string, string | number>> {
  return ep.getChannelVariables(false);
}

/** The call goes on: the endpoint is up and the agent's tone still reaches the caller. */
async function expectCallGoesOn(caller: Leg, agent: Leg): Promise<void> {
  const exists = await caller.ep.api('uuid_exists', caller.ep.uuid);
  expect(exists.getBody()).toBe('true');
  const before = caller.peer.received.length;
  await agent.say(AGENT_HZ, 600);
  await new Promise((r) => setTimeout(r, 150));
  const heard = caller.peer.audio('PCMU', 0, before);
  expect(heard.length).toBeGreaterThan(8000 * 0.4);
  expect(toneRatio(heard, AGENT_HZ, 8000)).toBeGreaterThan(0.5);
}

/** A 64 KiB tmpfs at `dir` (about two seconds of stereo), or null where mounting is not allowed. */
function smallDisk(dir: string): (() => void) | null {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return () => execFileSync('umount', [dir], { stdio: 'ignore' });
}

const canMount = (() => {
  const probe = path.join('/tmp', `rec-mount-probe-${process.pid}`);
  const unmount = smallDisk(probe);
  unmount?.();
  rmSync(probe, { recursive: true, force: true });
  return unmount !== null;
})();

describe('session recording (record_session, uuid_record) on the embedded media server', () => {
  it('RECORD_STEREO on a bridged caller endpoint: the caller left, the agent right; stop completes the WAV', async () => {
    const { rig, caller, agent } = await bridgedCall();
    const file = path.join(rig.dir, 'calls', 'stereo.wav');
    await caller.ep.set('RECORD_STEREO', 'true');
    await caller.ep.recordSession(file);
    await Promise.all([caller.say(CALLER_HZ, 1500), agent.say(AGENT_HZ, 1500)]);
    // While it runs, nothing is listed under its name.
    expect(existsSync(file)).toBe(false);
    const res = await caller.ep.api('uuid_record', [caller.ep.uuid, 'stop', file]);
    expect(res.getBody()).toBe('+OK Success\n');
    await eventually(
      () => existsSync(file),
      (v) => v,
    );
    const wav = readStereo(file);
    expect(wav.channels).toBe(2);
    expect(wav.fileBytes).toBe(44 + wav.dataBytes);
    expect(wav.riffSize).toBe(wav.fileBytes - 8);
    expect(wav.left.length).toBeGreaterThan(8000 * 1.3);
    expect(toneRatio(wav.left, CALLER_HZ, 8000)).toBeGreaterThan(0.8);
    expect(toneRatio(wav.right, AGENT_HZ, 8000)).toBeGreaterThan(0.8);
    expect(toneRatio(wav.left, AGENT_HZ, 8000)).toBeLessThan(0.05);
    expect(toneRatio(wav.right, CALLER_HZ, 8000)).toBeLessThan(0.05);
    expect(hiddenParts(path.dirname(file))).toEqual([]);
    const vars = await dump(caller.ep);
    expect(vars.variable_record_completion_cause).toBe('success-maxtime');
    expect(Number(vars.variable_record_ms)).toBeGreaterThan(1300);
    // A second stop finds nothing to stop.
    const again = await caller.ep.api('uuid_record', [caller.ep.uuid, 'stop', file]);
    expect(again.getBody()).toBe('-ERR Cannot stop record session!\n');
    await caller.ep.destroy();
    await agent.ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('RECORD_STEREO_SWAP puts the write leg left; without either the two directions are mixed into mono', async () => {
    const { rig, caller, agent } = await bridgedCall();
    const swapped = path.join(rig.dir, 'swapped.wav');
    const mono = path.join(rig.dir, 'mono.wav');
    await caller.ep.recordSession(swapped, '{RECORD_STEREO_SWAP=true}');
    await caller.ep.recordSession(mono);
    await Promise.all([caller.say(CALLER_HZ, 1000), agent.say(AGENT_HZ, 1000)]);
    await caller.ep.execute('stop_record_session', 'all');
    await eventually(
      () => existsSync(swapped) && existsSync(mono),
      (v) => v,
    );
    const s = readStereo(swapped);
    expect(s.channels).toBe(2);
    expect(toneRatio(s.left, AGENT_HZ, 8000)).toBeGreaterThan(0.8);
    expect(toneRatio(s.right, CALLER_HZ, 8000)).toBeGreaterThan(0.8);
    const m = readStereo(mono);
    expect(m.channels).toBe(1);
    expect(toneRatio(m.left, CALLER_HZ, 8000)).toBeGreaterThan(0.3);
    expect(toneRatio(m.left, AGENT_HZ, 8000)).toBeGreaterThan(0.3);
    await caller.ep.destroy();
    await agent.ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('uuid_record start with a limit caps the recording; the file is complete without a stop', async () => {
    const { rig, caller, agent } = await bridgedCall();
    const file = path.join(rig.dir, 'capped.wav');
    const res = await caller.ep.api('uuid_record', [caller.ep.uuid, 'start', file, '1']);
    expect(res.getBody()).toBe('+OK Success\n');
    await Promise.all([caller.say(CALLER_HZ, 1600), agent.say(AGENT_HZ, 1600)]);
    await eventually(
      () => existsSync(file),
      (v) => v,
    );
    const wav = readStereo(file);
    expect(wav.channels).toBe(1);
    // Exactly the limit: one second of 8 kHz 16-bit mono.
    expect(wav.dataBytes).toBe(16_000);
    await caller.ep.destroy();
    await agent.ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('a hangup ends the recording with a complete file, and every resource is released', async () => {
    const { rig, caller, agent } = await bridgedCall();
    const file = path.join(rig.dir, 'hangup.wav');
    await caller.ep.recordSession(file, '+60', '{RECORD_STEREO=true}');
    await Promise.all([caller.say(CALLER_HZ, 800), agent.say(AGENT_HZ, 800)]);
    await caller.ep.destroy();
    await eventually(
      () => existsSync(file),
      (v) => v,
    );
    const wav = readStereo(file);
    expect(wav.channels).toBe(2);
    expect(toneRatio(wav.left, CALLER_HZ, 8000)).toBeGreaterThan(0.8);
    expect(toneRatio(wav.right, AGENT_HZ, 8000)).toBeGreaterThan(0.8);
    await agent.ep.destroy();
    await expectNoLeaks(rig.media);
    expect(hiddenParts(rig.dir)).toEqual([]);
  });

  it('uuid_record answers as FreeSWITCH does to an unknown channel, a missing path and a folder it cannot make', async () => {
    const { rig, caller, agent } = await bridgedCall();
    const body = async (...args: string[]) => (await caller.ep.api('uuid_record', args)).getBody();
    expect(await body('no-such-uuid', 'start', path.join(rig.dir, 'x.wav'))).toBe(
      '-ERR Cannot locate session!\n',
    );
    expect(await body(caller.ep.uuid, 'start')).toMatch(/^-USAGE: /);
    // A path below a plain file: the folder cannot be made.
    writeFileSync(path.join(rig.dir, 'plain-file'), 'x');
    const bad = path.join(rig.dir, 'plain-file', 'x.wav');
    expect(await body(caller.ep.uuid, 'start', bad)).toBe('-ERR Cannot record session!\n');
    expect(rig.logs.some((l) => l.msg === 'record_session: cannot record here')).toBe(true);
    await expectCallGoesOn(caller, agent);
    await caller.ep.destroy();
    await agent.ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it.skipIf(!canMount)(
    'disk full while recording: the call goes on, an error is logged, and no file (whole or partial) is left',
    async () => {
      const { rig, caller, agent } = await bridgedCall();
      const full = path.join(rig.dir, 'full');
      const unmount = smallDisk(full);
      expect(unmount).not.toBeNull();
      cleanups.push(() => unmount?.());
      const file = path.join(full, 'too-long.wav');
      await caller.ep.recordSession(file, '{RECORD_STEREO=true}');
      // 64 KiB hold about two seconds of stereo 8 kHz.
      await Promise.all([caller.say(CALLER_HZ, 3000), agent.say(AGENT_HZ, 3000)]);
      await eventually(
        () =>
          rig.logs.some(
            (l) => l.msg === 'session recording failed: nothing kept, the call goes on',
          ),
        (v) => v,
      );
      expect(readdirSync(full)).toEqual([]);
      const vars = await dump(caller.ep);
      expect(vars.variable_record_completion_cause).toBe('uri-failure');
      await expectCallGoesOn(caller, agent);
      await caller.ep.destroy();
      await agent.ep.destroy();
      await expectNoLeaks(rig.media);
    },
  );
});
