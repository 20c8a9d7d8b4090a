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
import { openMigratedPglite } from '../support/pglite.ts';
import { freePort } from '../support/ports.ts';
import { RtpPeer } from '../support/rtp-peer.ts';
import { encodeG711 } from '../../src/media/audio/g711.ts';
import {
  assertSippPassed,
  countInTrace,
  runSipp,
  type SippProcess,
  startSipp,
} from '../support/sipp.ts';
import {
  type Product,
  startProduct as startProductFixture,
  stopProducts,
} from './support/product.ts';
import { untilWithin } from '../support/wait.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);
const PROMPTS = path.resolve(here, '../../media/prompts/en');
const prompt = (name: string): Audio => readWav(path.join(PROMPTS, `${name}.wav`));
const DID = '+4930200';

type Running = Product;

const peers = new Set<RtpPeer>();
const sipps = new Set<SippProcess>();
afterEach(async () => {
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  await Promise.all([...peers].map((p) => p.close()));
  peers.clear();
  await stopProducts();
});

/** The product answering callers into the embedded media server. */
async function startProduct(media: Record<string, unknown> = {}): Promise<Running> {
  const rtpBase = 32000 + 2 * Math.floor(Math.random() * 2000);
  return startProductFixture({
    sipPort: await freePort(),
    db: await openMigratedPglite(),
    logLevel: process.env.MEDIA_TEST_LOG ?? 'warn',
    overrides: {
      media: {
        callers: 'answer',
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 99,
        embedded: { eslPort: 0, sipPort: 0 },
        ...media,
      },
    },
  });
}

async function department(r: Running, fields: Record<string, unknown>): Promise<string> {
  const d = await r.api<{ id: string }>('POST', '/departments', { name: 'Support', ...fields });
  await r.api('POST', '/dids', { number: DID, departmentId: d.id });
  return d.id;
}

async function rtpPeer(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.add(p);
  return p;
}

/** The caller's audio so far (PCMU), as an Audio. */
function heard(peer: RtpPeer): Audio {
  return { sampleRate: 8000, samples: peer.audio('PCMU') };
}

function encodeMu(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMU', pcm, out);
  return out;
}


const until = untilWithin(15_000);

/** Nothing of any call is left: sessions, endpoints, the media server's channels and ports. */
async function expectIdle(r: Running): Promise<void> {
  const rt = r.telephony.calls;
  await rt.callControl.settled();
  await until('media released', () => {
    const c = r.telephony.media?.embedded?.counts();
    return rt.media?.openEndpoints === 0 && c?.channels === 0 && c?.eslOutbound === 0;
  });
  const counts = r.telephony.media?.embedded?.counts();
  expect(counts).toMatchObject({ channels: 0, eslOutbound: 0, rtpPorts: 0, sipDialogs: 0 });
  expect(counts?.eslInbound).toBe(1); // fsmrf's one inbound connection stays
  expect(rt.callControl.sessions.size).toBe(0);
  const edge = r.telephony.edge;
  await until('SIP dialogs gone', () => (edge?.stats().dialogs ?? 0) === 0, 5000);
}

async function endedCall(r: Running): Promise<{ outcome: string; id: string }> {
  let found: { outcome: string; id: string } | undefined;
  await until('the call logged as ended', async () => {
    const page = await r.api<{ items: Array<{ id: string; outcome: string | null }> }>(
      'GET',
      '/calls',
    );
    const c = page.items.find((x) => x.outcome !== null);
    if (c) found = { id: c.id, outcome: c.outcome as string };
    return c !== undefined;
  });
  return found!;
}

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
    const res = await runSipp({
      scenario: scenario('media-caller-wait-bye'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: DID.slice(1),
      keys: { rtp_port: String(peer.port) },
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
    const agent = await r.api<{ id: string }>('POST', '/agents', {
      name: 'alice',
      sipUsername: '2001',
      password: 'pw-alice-secret',
      status: 'away',
    });
    await r.api('POST', '/memberships', { agentId: agent.id, departmentId: deptId, priority: 1 });
    const agentPort = await freePort();
    assertSippPassed(
      await runSipp({
        scenario: scenario('agent-register'),
        localPort: agentPort,
        remote: { host: '127.0.0.1', port: r.sipPort },
        service: '2001',
        extraArgs: ['-au', '2001', '-ap', 'pw-alice-secret'],
        timeoutSeconds: 15,
      }),
      'REGISTER',
    );
    const callerRtp = await rtpPeer();
    const agentRtp = await rtpPeer();
    const agentPhone = await startSipp({
      scenario: scenario('media-agent-answer'),
      localPort: agentPort,
      keys: { agent_rtp_port: String(agentRtp.port) },
      timeoutSeconds: 60,
    });
    sipps.add(agentPhone);
    const caller = runSipp({
      scenario: scenario('media-caller-reinvite'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: DID.slice(1),
      keys: { rtp_port: String(callerRtp.port) },
      timeoutSeconds: 60,
    });
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
    await r.api('PUT', `/agents/${agent.id}/status`, { status: 'available' });
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
    const agent = await r.api<{ id: string }>('POST', '/agents', {
      name: 'bob',
      sipUsername: '2002',
      password: 'pw-bob-secret',
      status: 'away',
    });
    await r.api('POST', '/memberships', { agentId: agent.id, departmentId: deptId, priority: 1 });
    assertSippPassed(
      await runSipp({
        scenario: scenario('agent-register'),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: r.sipPort },
        service: '2002',
        extraArgs: ['-au', '2002', '-ap', 'pw-bob-secret'],
        timeoutSeconds: 15,
      }),
      'REGISTER',
    );
  }

  function waitingCaller(r: Running, peer: RtpPeer) {
    return (async () =>
      runSipp({
        scenario: scenario('media-caller-wait-bye'),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: r.sipPort },
        service: DID.slice(1),
        keys: { rtp_port: String(peer.port) },
        timeoutSeconds: 60,
      }))();
  }

  it('the exit key (RFC 4733) leaves the queue: goodbye, then our BYE; logged as abandoned', async () => {
    const r = await startProduct();
    await queueWithAwayAgent(r, { exitKey: '*', exitKeyAction: { kind: 'hangup' } });
    const peer = await rtpPeer();
    const caller = waitingCaller(r, peer);
    caller.catch(() => {});
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
    const res = await runSipp({
      scenario: scenario('media-caller-info-exit'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: DID.slice(1),
      keys: { rtp_port: String(peer.port), info_digit: '*' },
      timeoutSeconds: 60,
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
    const r = await startProduct({ timeoutS: 2 });
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
