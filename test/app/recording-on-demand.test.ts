/**
 * Recording a call that was connected by re-INVITE (media directly between
 * caller and agent), end to end as `npm start` runs it: the embedded SIP and
 * media servers, drachtio-fsmrf, sipp for the caller and the agent's phone,
 * each with a real RTP socket whose audio is analysed. `POST
 * /api/calls/:id/recording` moves the call into the media server (a
 * re-INVITE per leg) and records it; a phone that refuses the re-INVITE gets
 * the API a 502 and the call goes on as it was.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { encodeG711 } from '../../src/media/audio/g711.ts';
import { tone, toneRatio, windows } from '../support/audio.ts';
import { openMigratedPglite } from '../support/pglite.ts';
import { freePort } from '../support/ports.ts';
import { RtpPeer } from '../support/rtp-peer.ts';
import {
  assertSippPassed,
  countInTrace,
  runSipp,
  type SippProcess,
  startSipp,
} from '../support/sipp.ts';
import { untilWithin } from '../support/wait.ts';
import {
  type Product,
  startProduct as startProductFixture,
  stopProducts,
  TOKEN,
} from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);
const DID = '+4930200';

const peers = new Set<RtpPeer>();
const sipps = new Set<SippProcess>();
afterEach(async () => {
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  await Promise.all([...peers].map((p) => p.close()));
  peers.clear();
  await stopProducts();
});

const until = untilWithin(15_000);
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function startProduct(): Promise<Product> {
  const rtpBase = 36000 + 2 * Math.floor(Math.random() * 2000);
  return startProductFixture({
    sipPort: await freePort(),
    db: await openMigratedPglite(),
    logLevel: process.env.MEDIA_TEST_LOG ?? 'info',
    overrides: {
      media: {
        callers: 'answer',
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 99,
        recordingsDir: await mkdtemp(path.join(tmpdir(), 'acd-on-demand-recordings-')),
        embedded: { eslPort: 0, sipPort: 0 },
      },
    },
  });
}

/** A department that does not record, with one registered softphone agent. */
async function plainDepartmentWithAgent(r: Product, phonePort: number): Promise<void> {
  const d = await r.api<{ id: string }>('POST', '/departments', {
    name: 'Support',
    ringTimeoutS: 20,
    noAgentAction: { kind: 'hangup' },
  });
  await r.api('POST', '/dids', { number: DID, departmentId: d.id });
  const a = await r.api<{ id: string }>('POST', '/agents', {
    name: 'alice',
    sipUsername: '2001',
    password: 'pw-alice-secret',
    status: 'available',
  });
  await r.api('POST', '/memberships', { agentId: a.id, departmentId: d.id, priority: 1 });
  assertSippPassed(
    await runSipp({
      scenario: scenario('agent-register'),
      localPort: phonePort,
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: '2001',
      extraArgs: ['-au', '2001', '-ap', 'pw-alice-secret'],
      timeoutSeconds: 15,
    }),
    'REGISTER',
  );
}

async function rtpPeer(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.add(p);
  return p;
}

function encodeMu(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMU', pcm, out);
  return out;
}

function bestTone(samples: Int16Array, hz: number): number {
  return Math.max(0, ...windows(samples, 200).map((w) => toneRatio(w, hz, 8000)));
}

function connectedCall(r: Product) {
  return [...r.telephony.calls.callControl.sessions.values()].find((s) => s.state === 'connected');
}

async function recording(r: Product, callId: string, action: 'start' | 'stop') {
  const res = await fetch(`${r.app.httpUrl}/api/calls/${callId}/recording`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Nothing of any call is left: sessions, attempts, endpoints (every kind), channels, dialogs. */
async function expectIdle(r: Product): Promise<void> {
  const rt = r.telephony.calls;
  await rt.callControl.settled();
  await until('media released', () => {
    const c = r.telephony.media?.embedded?.counts();
    return rt.media?.openEndpoints === 0 && c?.channels === 0 && c?.eslOutbound === 0;
  });
  expect(rt.media?.anchors.openEndpoints).toBe(0);
  expect(rt.media?.anchors.calls.size).toBe(0);
  const counts = r.telephony.media?.embedded?.counts();
  expect(counts).toMatchObject({ channels: 0, eslOutbound: 0, rtpPorts: 0, sipDialogs: 0 });
  expect(counts?.eslInbound).toBe(1);
  expect(rt.callControl.sessions.size).toBe(0);
  expect(rt.callControl.attempts.size).toBe(0);
  const edge = r.telephony.edge;
  await until('SIP dialogs gone', () => (edge?.stats().dialogs ?? 0) === 0, 5000);
}

async function outcomeOf(r: Product, callId: string): Promise<string> {
  let outcome: string | null = null;
  await until('the call logged as ended', async () => {
    outcome = (await r.api<{ outcome: string | null }>('GET', `/calls/${callId}`)).outcome;
    return outcome !== null;
  });
  return outcome!;
}

/** The two channels of a 16-bit stereo WAV (44-byte header, as the media server writes it). */
function splitStereo(buf: Buffer): { channels: number; left: Int16Array; right: Int16Array } {
  const channels = buf.readUInt16LE(22);
  const frames = Math.floor((buf.length - 44) / (2 * channels));
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = buf.readInt16LE(44 + 2 * channels * i);
    right[i] = buf.readInt16LE(44 + 2 * channels * i + 2 * (channels - 1));
  }
  return { channels, left, right };
}

function dumpLog(r: Product): void {
  for (const l of r.logLines()) {
    const text = JSON.stringify(l);
    if (/anchor|record|"level":[45]0/.test(text)) console.log(text.slice(0, 600));
  }
}

/**
 * The product with a plain department, its agent's phone (sipp running
 * `agentScenario`) and a caller (`callerScenario`) connected to it by
 * re-INVITE, each with an RTP peer.
 */
async function connectedPlainCall(agentScenario: string, callerScenario: string) {
  const r = await startProduct();
  onTestFailed(() => dumpLog(r));
  const phonePort = await freePort();
  await plainDepartmentWithAgent(r, phonePort);
  const phoneRtp = await rtpPeer();
  const callerRtp = await rtpPeer();
  const phone = await startSipp({
    scenario: scenario(agentScenario),
    localPort: phonePort,
    keys: { agent_rtp_port: String(phoneRtp.port) },
    timeoutSeconds: 60,
  });
  sipps.add(phone);
  const caller = runSipp({
    scenario: scenario(callerScenario),
    localPort: await freePort(),
    remote: { host: '127.0.0.1', port: r.sipPort },
    service: DID.slice(1),
    keys: { rtp_port: String(callerRtp.port) },
    timeoutSeconds: 60,
  });
  caller.catch(() => {});
  await until('the caller connected to the agent', () => connectedCall(r) !== undefined, 20_000);
  const callId = connectedCall(r)!.id;
  return { r, phoneRtp, callerRtp, phone, caller, callId };
}

describe('recording a call connected directly to its agent', () => {
  it('start moves the call into the media server (a re-INVITE per leg) and records it in stereo, caller left, agent right; stop keeps the call going', async () => {
    const { r, phoneRtp, callerRtp, phone, caller, callId } = await connectedPlainCall(
      'reanchor-agent',
      'reanchor-caller',
    );
    const anchors = r.telephony.calls.media!.anchors;
    // Connected by re-INVITE: nothing of the call is in the media server.
    expect(anchors.calls.isAnchored(callId)).toBe(false);
    await until('the queue endpoint released', () => r.telephony.calls.media!.openEndpoints === 0);

    const callerMark = callerRtp.received.length;
    const phoneMark = phoneRtp.received.length;
    const started = await recording(r, callId, 'start');
    expect(started).toEqual({ status: 200, body: { callId, recording: 'started' } });
    expect(anchors.calls.isRecording(callId)).toBe(true);
    expect(anchors.openEndpoints).toBe(2);
    // A second start is answered the same and changes nothing.
    expect((await recording(r, callId, 'start')).status).toBe(200);
    expect(anchors.openEndpoints).toBe(2);

    // Both phones now get their audio from their own media-server endpoint.
    await until(
      'audio from the endpoints on both sides',
      () => callerRtp.received.length > callerMark + 5 && phoneRtp.received.length > phoneMark + 5,
      10_000,
    );
    const endpointA = callerRtp.received.at(-1)!.from;
    const endpointB = phoneRtp.received.at(-1)!.from;
    expect(endpointB.port).not.toBe(callerRtp.port);
    const callerHeardFrom = callerRtp.received.length;
    const phoneHeardFrom = phoneRtp.received.length;
    await Promise.all([
      callerRtp.sendAudio(endpointA, 0, tone([1000], 1500, 8000, 8000), encodeMu),
      phoneRtp.sendAudio(endpointB, 0, tone([600], 1500, 8000, 8000), encodeMu),
    ]);
    await sleep(300);
    // Through the bridge, both ways.
    expect(bestTone(phoneRtp.audio('PCMU', 0, phoneHeardFrom), 1000)).toBeGreaterThan(0.8);
    expect(bestTone(callerRtp.audio('PCMU', 0, callerHeardFrom), 600)).toBeGreaterThan(0.8);

    expect(await recording(r, callId, 'stop')).toEqual({
      status: 200,
      body: { callId, recording: 'stopped' },
    });
    expect(anchors.calls.isRecording(callId)).toBe(false);
    // Stopped, not un-anchored: the call stays in the media server until it ends.
    expect(anchors.calls.isAnchored(callId)).toBe(true);
    expect(connectedCall(r)?.id).toBe(callId);

    const callerResult = await caller;
    assertSippPassed(callerResult, 'caller (two re-INVITEs, then hangs up)');
    expect(countInTrace(callerResult.messages, /^INVITE sip:/m, 'received')).toBe(2);
    const phoneResult = await phone.finished;
    assertSippPassed(phoneResult, 'agent (one re-INVITE, our BYE)');
    expect(countInTrace(phoneResult.messages, /^INVITE sip:/m, 'received')).toBe(2);
    expect(await outcomeOf(r, callId)).toBe('answered');
    await expectIdle(r);

    let wav: Buffer | null = null;
    await until(
      'the recording listed',
      async () => {
        const res = await fetch(`${r.app.httpUrl}/api/calls/${callId}/recording`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        if (res.status !== 200) return false;
        wav = Buffer.from(await res.arrayBuffer());
        return true;
      },
      10_000,
    );
    const stereo = splitStereo(wav!);
    expect(stereo.channels).toBe(2);
    expect(bestTone(stereo.left, 1000)).toBeGreaterThan(0.8);
    expect(bestTone(stereo.right, 600)).toBeGreaterThan(0.8);
    expect(bestTone(stereo.left, 600)).toBeLessThan(0.3);
    expect(bestTone(stereo.right, 1000)).toBeLessThan(0.3);
  }, 150_000);

  it('a phone that refuses the re-INVITE: 502 with the reason, endpoints released, the call goes on as before and ends normally', async () => {
    const { r, phone, caller, callId } = await connectedPlainCall(
      'reanchor-agent-refuse',
      'reanchor-caller-once',
    );

    const refused = await recording(r, callId, 'start');
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({
      error: {
        code: 'bad_gateway',
        field: 'id',
        reason: "the agent's phone refused the re-INVITE (488)",
      },
    });
    const media = r.telephony.calls.media!;
    expect(media.anchors.openEndpoints).toBe(0);
    expect(media.anchors.calls.isAnchored(callId)).toBe(false);
    await until('the endpoint gone in the media server', () => {
      return r.telephony.media?.embedded?.counts().channels === 0;
    });
    // The call is untouched: still connected, its media still direct.
    expect(connectedCall(r)?.id).toBe(callId);
    expect(connectedCall(r)?.bridge?.mediaPath).toBe('direct');
    // Stop on a call that is not recorded: 409, as before.
    expect((await recording(r, callId, 'stop')).status).toBe(409);

    const callerResult = await caller;
    // The caller saw only the re-INVITE of the connect: nothing to put back.
    assertSippPassed(callerResult, 'caller (one re-INVITE, then hangs up)');
    expect(countInTrace(callerResult.messages, /^INVITE sip:/m, 'received')).toBe(1);
    assertSippPassed(await phone.finished, 'agent (refuses the re-INVITE, our BYE)');
    expect(await outcomeOf(r, callId)).toBe('answered');
    await expectIdle(r);
    const res = await fetch(`${r.app.httpUrl}/api/calls/${callId}/recording`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(404);
  }, 150_000);
});
