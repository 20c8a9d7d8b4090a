/**
 * Anchored calls and the human-answer check, end to end as `npm start` runs
 * it: the app with the embedded SIP server and the embedded media server,
 * drachtio-fsmrf between call control and media. Callers, softphones, the
 * trunk (mobiles) and a carrier's voicemail are sipp, each with a real RTP
 * socket (test/support/rtp-peer.ts) whose audio is analysed
 * (test/support/audio.ts).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPrompt, tone, toneRatio, windows } from '../support/audio.ts';
import { freePort } from '../support/ports.ts';
import type { RtpPeer } from '../support/rtp-peer.ts';
import { assertSippPassed } from '../support/sipp.ts';
import { untilWithin } from '../support/wait.ts';
import {
  ALICE,
  backgroundSipp,
  dial,
  encodeMu,
  endedCall as loggedCall,
  expectMediaIdle,
  forgetSipp,
  prompt,
  registeredAgent,
  releaseMedia,
  rtpPeer,
  scenario,
  sleep,
  startMediaProduct,
} from './support/media-product.ts';
import { type Product, stopProducts, TOKEN } from './support/product.ts';

const DID = '+4930200';
const MOBILE = '+4915111111111';
/** RFC 4733 payload type both sides announce. */
const TELEPHONE_EVENT = 101;

afterEach(async () => {
  await releaseMedia();
  await stopProducts();
});

/** The product with media, a trunk on `trunkPort`, and a 5 s human-answer check. */
async function startProduct(trunkPort: number): Promise<Product> {
  const r = await startMediaProduct({
    trunkPort,
    media: {
      confirmTimeoutS: 5,
      recordingsDir: await mkdtemp(path.join(tmpdir(), 'acd-anchored-recordings-')),
    },
  });
  await r.api('POST', '/mobile-allow-list', { pattern: '+4915*' });
  return r;
}

async function department(r: Product, fields: Record<string, unknown> = {}): Promise<string> {
  const d = await r.api<{ id: string }>('POST', '/departments', {
    name: 'Support',
    strategy: 'priority',
    ringTimeoutS: 20,
    retryDelayS: 0,
    maxMissedRings: 0,
    noAgentAction: { kind: 'hangup' },
    ...fields,
  });
  await r.api('POST', '/dids', { number: DID, departmentId: d.id });
  return d.id;
}

async function mobileAgent(r: Product, deptId: string, priority: number): Promise<string> {
  const a = await r.api<{ id: string; confirmMobileAnswer: boolean }>('POST', '/agents', {
    name: 'mobile agent',
    sipUsername: '3001',
    forwardingMode: 'mobile',
    mobileNumber: MOBILE,
    status: 'available',
  });
  expect(a.confirmMobileAnswer).toBe(true);
  await r.api('POST', '/memberships', { agentId: a.id, departmentId: deptId, priority });
  return a.id;
}

/** A softphone agent registered from `port`. */
function softphoneAgent(r: Product, deptId: string, priority: number, port: number) {
  const login = { ...ALICE, name: 'softphone agent', status: 'available' } as const;
  return registeredAgent(r, deptId, login, { priority, port });
}

const until = untilWithin(15_000);

/** Best share of `hz` in any 200 ms window of what `peer` received from packet `from` on. */
function bestTone(peer: RtpPeer, hz: number, from: number): number {
  const audio = peer.audio('PCMU', 0, from);
  return Math.max(0, ...windows(audio, 200).map((w) => toneRatio(w, hz, 8000)));
}

function connected(r: Product): boolean {
  return [...r.telephony.calls.callControl.sessions.values()].some((s) => s.state === 'connected');
}

/** Nothing of any call is left, the anchored calls' endpoints included. */
async function expectIdle(r: Product): Promise<void> {
  await expectMediaIdle(r);
  expect(r.telephony.calls.media?.anchors.openEndpoints).toBe(0);
  expect(r.telephony.calls.media?.anchors.calls.size).toBe(0);
}

interface LoggedAttempt {
  agentId: string;
  device: string;
  result: string | null;
}

/** The ended call's outcome and ring attempts, from the API. */
async function endedCall(r: Product): Promise<{ outcome: string; attempts: LoggedAttempt[] }> {
  const { id, outcome } = await loggedCall(r);
  const full = await r.api<{ attempts: LoggedAttempt[] }>('GET', `/calls/${id}`);
  return { outcome, attempts: full.attempts };
}

/**
 * The product, a department whose one agent is the mobile, the trunk's far
 * end answering the mobile leg as `scenarioName` on an RTP peer of its
 * own, and the caller's RTP peer.
 */
async function mobileSetUp(scenarioName: string, calls = 1) {
  const trunkPort = await freePort();
  const r = await startProduct(trunkPort);
  const deptId = await department(r);
  const mobileId = await mobileAgent(r, deptId, 1);
  const mobileRtp = await rtpPeer();
  const callerRtp = await rtpPeer();
  const mobile = await backgroundSipp({
    scenario: scenario(scenarioName),
    localPort: trunkPort,
    ...(calls === 1 ? {} : { calls }),
    keys: { agent_rtp_port: String(mobileRtp.port) },
    timeoutSeconds: 60,
  });
  return { r, mobileId, mobileRtp, callerRtp, mobile };
}

describe('human-answer check on mobile legs', () => {
  it('a mobile that answers and sends no 1 is hung up and the call rolls over to the next agent (not-accepted); the softphone is connected as before', async () => {
    const trunkPort = await freePort();
    const r = await startProduct(trunkPort);
    const deptId = await department(r);
    const mobileId = await mobileAgent(r, deptId, 1);
    const phonePort = await freePort();
    const softphoneId = await softphoneAgent(r, deptId, 2, phonePort);
    const mobileRtp = await rtpPeer();
    const phoneRtp = await rtpPeer();
    const callerRtp = await rtpPeer();
    const mobile = await backgroundSipp({
      scenario: scenario('mobile-answer'),
      localPort: trunkPort,
      keys: { agent_rtp_port: String(mobileRtp.port) },
      timeoutSeconds: 60,
    });
    const phone = await backgroundSipp({
      scenario: scenario('media-agent-answer'),
      localPort: phonePort,
      keys: { agent_rtp_port: String(phoneRtp.port) },
      timeoutSeconds: 60,
    });
    const started = Date.now();
    // The softphone leg is plain, as before: the caller is re-INVITEd towards it.
    const caller = await dial(r, DID, { scenario: 'media-caller-reinvite', peer: callerRtp });
    assertSippPassed(caller, 'caller');
    assertSippPassed(await mobile.finished, 'mobile (hung up by us)');
    assertSippPassed(await phone.finished, 'softphone');
    // The mobile heard the question: "Call for your department, press 1 to accept."
    const asked = { sampleRate: 8000, samples: mobileRtp.audio('PCMU') };
    expect(findPrompt(asked, prompt('call-for')).score).toBeGreaterThan(0.8);
    expect(findPrompt(asked, prompt('press-one-to-accept')).score).toBeGreaterThan(0.8);
    expect(Date.now() - started).toBeGreaterThan(5000);
    const call = await endedCall(r);
    expect(call.outcome).toBe('answered');
    expect(call.attempts.map((a) => [a.agentId, a.result])).toEqual([
      [mobileId, 'not-accepted'],
      [softphoneId, 'answered'],
    ]);
    await expectIdle(r);
  }, 150_000);

  it('a mobile that presses 1 (RFC 4733, after a flood of other digits) is bridged in the media server: tones pass both ways, the caller is never re-INVITEd', async () => {
    const { r, mobileId, mobileRtp, callerRtp, mobile } = await mobileSetUp('mobile-answer');
    const caller = dial(r, DID, { scenario: 'anchored-caller-talk', peer: callerRtp });
    // The question plays to the mobile from its endpoint B.
    await until('the question to the mobile', () => mobileRtp.received.length > 50, 20_000);
    const endpointB = mobileRtp.received[0]!.from;
    // A flood of every other key (0, 2-9, *, #), one after the other, 40 ms each.
    const others = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    for (let i = 0; i < 12; i++) {
      await mobileRtp.sendDtmf(endpointB, TELEPHONE_EVENT, others[i % others.length]!, 40, 1);
    }
    expect(connected(r)).toBe(false);
    await mobileRtp.sendDtmf(endpointB, TELEPHONE_EVENT, 1);
    await until('the caller bridged with the mobile', () => connected(r), 10_000);
    await until('the caller hears its endpoint A', () => callerRtp.received.length > 0, 10_000);
    const endpointA = callerRtp.received[0]!.from;
    const mobileMark = mobileRtp.received.length;
    const callerMark = callerRtp.received.length;
    await Promise.all([
      callerRtp.sendAudio(endpointA, 0, tone([1000], 1500, 8000, 8000), encodeMu),
      mobileRtp.sendAudio(endpointB, 0, tone([1500], 1500, 8000, 8000), encodeMu),
    ]);
    await sleep(300);
    expect(bestTone(mobileRtp, 1000, mobileMark)).toBeGreaterThan(0.8);
    expect(bestTone(callerRtp, 1500, callerMark)).toBeGreaterThan(0.8);
    // The caller hangs up: the mobile gets our BYE.
    assertSippPassed(await caller, 'caller');
    assertSippPassed(await mobile.finished, 'mobile');
    const call = await endedCall(r);
    expect(call.outcome).toBe('answered');
    expect(call.attempts.map((a) => [a.agentId, a.result])).toEqual([[mobileId, 'answered']]);
    await expectIdle(r);
  }, 150_000);

  it('a mobile that presses 1 by SIP INFO (dtmf-relay) is bridged as well', async () => {
    const { r, mobileId, mobileRtp, callerRtp, mobile } = await mobileSetUp('mobile-answer-info');
    const caller = dial(r, DID, { scenario: 'anchored-caller-talk', peer: callerRtp });
    await until('the caller bridged with the mobile', () => connected(r), 20_000);
    await until('the caller hears its endpoint A', () => callerRtp.received.length > 0, 10_000);
    const mobileMark = mobileRtp.received.length;
    await callerRtp.sendAudio(
      callerRtp.received[0]!.from,
      0,
      tone([1000], 1500, 8000, 8000),
      encodeMu,
    );
    await sleep(300);
    expect(bestTone(mobileRtp, 1000, mobileMark)).toBeGreaterThan(0.8);
    assertSippPassed(await caller, 'caller');
    assertSippPassed(await mobile.finished, 'mobile');
    const call = await endedCall(r);
    expect(call.attempts.map((a) => [a.agentId, a.result])).toEqual([[mobileId, 'answered']]);
    await expectIdle(r);
  }, 150_000);

  it('a carrier voicemail that answers at once and plays a greeting never gets the call', async () => {
    const set = await mobileSetUp('voicemail-answer', 20);
    const { r, callerRtp, mobile: voicemail, mobileRtp: voicemailRtp } = set;
    const caller = dial(r, DID, { scenario: 'anchored-caller-talk', peer: callerRtp });
    // Each time it answers, the greeting plays (a spoken prompt stands in for it).
    const greeting = prompt('welcome').samples;
    let seenFrom = 0;
    const speaking = (async () => {
      const done = Date.now() + 11_000;
      while (Date.now() < done) {
        const from = voicemailRtp.received[seenFrom]?.from;
        if (from) {
          await voicemailRtp.sendAudio(from, 0, greeting.subarray(0, 8000 * 2), encodeMu);
          seenFrom = voicemailRtp.received.length;
        } else {
          await sleep(100);
        }
        expect(connected(r)).toBe(false);
      }
    })();
    assertSippPassed(await caller, 'caller');
    await speaking;
    const call = await endedCall(r);
    expect(call.outcome).toBe('abandoned');
    expect(call.attempts.length).toBeGreaterThanOrEqual(2);
    for (const a of call.attempts.slice(0, -1)) expect(a.result).toBe('not-accepted');
    // The last ring may have been cut off by the caller hanging up.
    expect(['not-accepted', 'cancelled']).toContain(call.attempts.at(-1)!.result);
    await voicemail.stop();
    forgetSipp(voicemail);
    await expectIdle(r);
  }, 150_000);
});

describe('anchored calls of a recording department', () => {
  it('a softphone leg is anchored and recorded in stereo (caller left, agent right); the agent hanging up ends the caller', async () => {
    const trunkPort = await freePort();
    const r = await startProduct(trunkPort);
    const deptId = await department(r, { recordCalls: true });
    const phonePort = await freePort();
    await softphoneAgent(r, deptId, 1, phonePort);
    const phoneRtp = await rtpPeer();
    const callerRtp = await rtpPeer();
    const phone = await backgroundSipp({
      scenario: scenario('anchored-agent-bye'),
      localPort: phonePort,
      keys: { agent_rtp_port: String(phoneRtp.port) },
      timeoutSeconds: 60,
    });
    const caller = dial(r, DID, { scenario: 'media-caller-wait-bye', peer: callerRtp });
    await until('the caller bridged with the softphone', () => connected(r), 20_000);
    const session = [...r.telephony.calls.callControl.sessions.values()][0]!;
    expect(r.telephony.calls.media?.anchors.calls.size).toBe(1);
    await until(
      'audio on both sides',
      () => callerRtp.received.length > 0 && phoneRtp.received.length > 0,
      10_000,
    );
    const endpointA = callerRtp.received[0]!.from;
    const phoneMark = phoneRtp.received.length;
    // The department records: the recording started when the call was bridged.
    await until(
      'the recording started',
      () => r.telephony.calls.media!.anchors.calls.isRecording(session.id),
      5_000,
    );
    const endpointB = phoneRtp.received[0]!.from;
    const callerMark = callerRtp.received.length;
    await Promise.all([
      callerRtp.sendAudio(endpointA, 0, tone([1000], 1500, 8000, 8000), encodeMu),
      phoneRtp.sendAudio(endpointB, 0, tone([600], 1500, 8000, 8000), encodeMu),
    ]);
    await sleep(300);
    expect(bestTone(phoneRtp, 1000, phoneMark)).toBeGreaterThan(0.8);
    expect(bestTone(callerRtp, 600, callerMark)).toBeGreaterThan(0.8);
    expect(connected(r)).toBe(true);
    assertSippPassed(await phone.finished, 'softphone (hangs up)');
    assertSippPassed(await caller, 'caller (gets our BYE)');
    expect((await endedCall(r)).outcome).toBe('answered');
    await expectIdle(r);
    // The recording is listed once the call is over and served as stereo WAV.
    let wav: Buffer | null = null;
    await until(
      'the recording listed',
      async () => {
        const res = await fetch(`${r.app.httpUrl}/api/calls/${session.id}/recording`, {
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
    expect(
      Math.max(...windows(stereo.left, 200).map((w) => toneRatio(w, 1000, 8000))),
    ).toBeGreaterThan(0.8);
    expect(
      Math.max(...windows(stereo.right, 200).map((w) => toneRatio(w, 600, 8000))),
    ).toBeGreaterThan(0.8);
    expect(Math.max(...windows(stereo.left, 200).map((w) => toneRatio(w, 600, 8000)))).toBeLessThan(
      0.3,
    );
  }, 150_000);
});

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
