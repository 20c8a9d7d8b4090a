/**
 * What callers hear, end to end as `npm start` runs it: the app with the
 * embedded SIP server and the embedded media server, drachtio-fsmrf between
 * call control and media. Callers and agents are sipp (signalling) with a
 * real RTP socket each (test/support/rtp-peer.ts) whose SDP they announce;
 * what the caller's socket receives is decoded and analysed
 * (test/support/audio.ts): prompts are recognised by correlation with their
 * files, music and the agent's tone by level and frequency.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Audio, findPrompt, readWav, tone, toneRatio, windows } from '../support/audio.ts';
import { freePort } from '../support/ports.ts';
import type { RtpPeer } from '../support/rtp-peer.ts';
import { assertSippPassed, countInTrace } from '../support/sipp.ts';
import { untilWithin } from '../support/wait.ts';
import {
  ALICE,
  BOB,
  backgroundSipp,
  dial,
  encodeMu,
  endedCall,
  expectMediaIdle as expectIdle,
  prompt,
  registeredAgent,
  releaseMedia,
  rtpPeer,
  scenario,
  startMediaProduct as startProduct,
} from './support/media-product.ts';
import { type Product, stopProducts } from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DID = '+4930200';

type Running = Product;

afterEach(async () => {
  await releaseMedia();
  await stopProducts();
});

async function department(r: Running, fields: Record<string, unknown>): Promise<string> {
  const d = await r.api<{ id: string }>('POST', '/departments', { name: 'Support', ...fields });
  await r.api('POST', '/dids', { number: DID, departmentId: d.id });
  return d.id;
}

/** The caller's audio so far (PCMU), as an Audio. */
function heard(peer: RtpPeer): Audio {
  return { sampleRate: 8000, samples: peer.audio('PCMU') };
}

const until = untilWithin(15_000);

describe('caller media, end to end', () => {
  it('out of hours: the caller is answered, hears the message with the next opening, then we hang up', async () => {
    const r = await startProduct();
    // Open only on a weekday that is not today (UTC), 09:00-17:00: the next opening is spoken.
    const today = new Date().getUTCDay();
    const openDay = (today + 2) % 7;
    await department(r, {
      businessHours: [{ day: openDay, open: '09:00', close: '17:00' }],
      outOfHoursAction: { kind: 'hangup' },
    });
    const peer = await rtpPeer();
    const res = await dial(r, DID, {
      scenario: 'media-caller-wait-bye',
      peer: peer,
      timeoutSeconds: 30,
    });
    assertSippPassed(res, 'caller');
    expect(countInTrace(res.messages, /^SIP\/2\.0 200/, 'received')).toBeGreaterThanOrEqual(1);
    const audio = heard(peer);
    const message = findPrompt(audio, prompt('out-of-hours'));
    const openAgain = findPrompt(audio, prompt('open-again'));
    const weekday = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][
      openDay
    ]!;
    const day = findPrompt(audio, prompt(weekday));
    const goodbye = findPrompt(audio, prompt('goodbye'));
    expect(message.score).toBeGreaterThan(0.8);
    expect(openAgain.score).toBeGreaterThan(0.8);
    expect(day.score).toBeGreaterThan(0.8);
    expect(goodbye.score).toBeGreaterThan(0.8);
    expect(openAgain.offsetMs).toBeGreaterThan(message.offsetMs);
    expect(day.offsetMs).toBeGreaterThan(openAgain.offsetMs);
    expect(goodbye.offsetMs).toBeGreaterThan(day.offsetMs);
    expect((await endedCall(r)).outcome).toBe('out-of-hours');
    await expectIdle(r);
  }, 150_000);

  it('queued: welcome, position, music; the agent answers and the caller hears the agent', async () => {
    const r = await startProduct();
    const deptId = await department(r, {
      ringTimeoutS: 20,
      announceIntervalS: 0,
      noAgentAction: { kind: 'hangup' },
    });
    const agentPort = await freePort();
    const agentId = await registeredAgent(
      r,
      deptId,
      { ...ALICE, status: 'away' },
      { port: agentPort },
    );
    const callerRtp = await rtpPeer();
    const agentRtp = await rtpPeer();
    const agentPhone = await backgroundSipp({
      scenario: scenario('media-agent-answer'),
      localPort: agentPort,
      keys: { agent_rtp_port: String(agentRtp.port) },
      timeoutSeconds: 60,
    });
    const caller = dial(r, DID, { scenario: 'media-caller-reinvite', peer: callerRtp });
    // The caller's end is checked below; a failure before that is reported there.
    caller.catch(() => {});

    // Welcome (~6 s), then "you are caller number one" (the agent is away: no estimate), then music.
    const welcome = prompt('welcome');
    await until(
      'welcome, position and some music',
      () => callerRtp.received.length > welcome.samples.length / 160 + 400,
      40_000,
    );
    const beforeAgent = heard(callerRtp);
    const w = findPrompt(beforeAgent, welcome);
    const pos = findPrompt(beforeAgent, prompt('caller-number'));
    const one = findPrompt(beforeAgent, prompt('n-1'));
    expect(w.score).toBeGreaterThan(0.8);
    expect(pos.score).toBeGreaterThan(0.8);
    expect(one.score).toBeGreaterThan(0.8);
    expect(pos.offsetMs).toBeGreaterThan(w.offsetMs);
    const music = readWav(path.join(here, '../../media/moh/default/track-1.wav'));
    const m = findPrompt(beforeAgent, {
      sampleRate: 8000,
      samples: music.samples.subarray(0, 8000 * 3),
    });
    expect(m.score).toBeGreaterThan(0.8);
    expect(m.offsetMs).toBeGreaterThan(pos.offsetMs);

    // The agent becomes available: rung, answers; the caller is re-INVITEd towards the agent.
    const mark = callerRtp.received.length;
    await r.api('PUT', `/agents/${agentId}/status`, { status: 'available' });
    // The agent speaks: a 1 kHz tone to where the caller's offer said its audio goes.
    const agentVoice = tone([1000], 1500, 8000, 8000);
    await until(
      'the caller connected to the agent',
      () =>
        [...r.telephony.calls.callControl.sessions.values()].some((x) => x.state === 'connected'),
      30_000,
    );
    await agentRtp.sendAudio(
      { address: '127.0.0.1', port: callerRtp.port },
      0,
      agentVoice,
      encodeMu,
    );
    const res = await caller;
    assertSippPassed(res, 'caller');
    assertSippPassed(await agentPhone.finished, 'agent');
    const afterAnswer = callerRtp.audio('PCMU', 0, mark);
    // Somewhere after the answer the caller hears the agent's tone (music may come before it).
    const best = Math.max(...windows(afterAnswer, 200).map((w) => toneRatio(w, 1000, 8000)));
    expect(best).toBeGreaterThan(0.8);
    expect((await endedCall(r)).outcome).toBe('answered');
    await expectIdle(r);
  }, 150_000);

  /** A department whose only agent is registered but away: callers wait in the queue. */
  async function queueWithAwayAgent(r: Running, fields: Record<string, unknown>) {
    const deptId = await department(r, { noAgentAction: { kind: 'hangup' }, ...fields });
    await registeredAgent(r, deptId, { ...BOB, status: 'away' });
  }

  /** A caller that waits until we end the call. */
  function waitingCaller(r: Running, peer: RtpPeer) {
    return dial(r, DID, { peer });
  }

  it('the exit key (RFC 4733) leaves the queue: goodbye, then our BYE; logged as abandoned', async () => {
    const r = await startProduct();
    await queueWithAwayAgent(r, { exitKey: '*', exitKeyAction: { kind: 'hangup' } });
    const peer = await rtpPeer();
    const caller = waitingCaller(r, peer);
    // Welcome and the hint "to leave the queue at any time, press star" come first.
    const hint = prompt('exit-hint');
    const welcome = prompt('welcome');
    await until(
      'welcome and the exit hint',
      () => peer.received.length > (welcome.samples.length + hint.samples.length) / 160 + 100,
      40_000,
    );
    const mediaServer = peer.received[0]!.from;
    const mark = peer.received.length;
    await peer.sendDtmf(mediaServer, 101, 10); // '*'
    assertSippPassed(await caller, 'caller');
    const audio = heard(peer);
    expect(findPrompt(audio, hint).score).toBeGreaterThan(0.8);
    expect(findPrompt(audio, prompt('key-star')).score).toBeGreaterThan(0.8);
    const after = { sampleRate: 8000, samples: peer.audio('PCMU', 0, mark) };
    expect(findPrompt(after, prompt('goodbye')).score).toBeGreaterThan(0.8);
    expect((await endedCall(r)).outcome).toBe('abandoned');
    await expectIdle(r);
  }, 150_000);

  it('the exit key by SIP INFO (dtmf-relay) leaves the queue as RFC 4733 does', async () => {
    const r = await startProduct();
    await queueWithAwayAgent(r, { exitKey: '*', exitKeyAction: { kind: 'hangup' } });
    const peer = await rtpPeer();
    const res = await dial(r, DID, {
      scenario: 'media-caller-info-exit',
      peer: peer,
      keys: { info_digit: '*' },
    });
    assertSippPassed(res, 'caller');
    // Our BYE follows the goodbye, long before the welcome and hint would have ended the call.
    expect(findPrompt(heard(peer), prompt('goodbye')).score).toBeGreaterThan(0.8);
    expect((await endedCall(r)).outcome).toBe('abandoned');
    await expectIdle(r);
  }, 150_000);

  it('the maximum wait is spoken before the exit is carried out (no bare SIP error)', async () => {
    const r = await startProduct();
    await queueWithAwayAgent(r, { maxWaitS: 2, maxWaitAction: { kind: 'hangup' } });
    const peer = await rtpPeer();
    assertSippPassed(await waitingCaller(r, peer), 'caller');
    const audio = heard(peer);
    const message = findPrompt(audio, prompt('max-wait'));
    const goodbye = findPrompt(audio, prompt('goodbye'));
    expect(message.score).toBeGreaterThan(0.8);
    expect(goodbye.score).toBeGreaterThan(0.8);
    expect(goodbye.offsetMs).toBeGreaterThan(message.offsetMs);
    // A refusal after queueing: the call log's outcome for every exit but out-of-hours.
    expect((await endedCall(r)).outcome).toBe('rejected');
    await expectIdle(r);
  }, 150_000);

  it('a caller that sends no RTP is ended after media.timeoutS (media timeout), logged as abandoned', async () => {
    const r = await startProduct({ media: { timeoutS: 2 } });
    await queueWithAwayAgent(r, {});
    const peer = await rtpPeer();
    const started = Date.now();
    const res = await waitingCaller(r, peer);
    assertSippPassed(res, 'caller');
    // Ended by the timeout, not by the welcome running out: the welcome alone is ~6 s.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(peer.received.length).toBeGreaterThan(0);
    expect((await endedCall(r)).outcome).toBe('abandoned');
    await expectIdle(r);
  }, 150_000);
});
