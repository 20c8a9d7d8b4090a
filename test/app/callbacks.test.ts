/**
 * Callbacks that keep the caller's place, end to end as `npm start` runs
 * it: the embedded SIP and media servers, drachtio-fsmrf, sipp for the
 * caller, the agent's phone and the customer on the trunk, each with a real
 * RTP socket (test/support/rtp-peer.ts) whose audio is analysed.
 */
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { type Audio, findPrompt, tone, toneRatio, windows } from '../support/audio.ts';
import { openMigratedPglite } from '../support/pglite.ts';
import { freePort } from '../support/ports.ts';
import type { RtpPeer } from '../support/rtp-peer.ts';
import type { Db } from '../../src/store/index.ts';
import { assertSippPassed, countInTrace, type SippProcess, startSipp } from '../support/sipp.ts';
import {
  ALICE,
  dial,
  encodeMu,
  expectMediaIdle,
  prompt,
  registeredAgent,
  releaseMedia,
  rtpPeer,
  scenario,
  sleep,
  startMediaProduct,
} from './support/media-product.ts';
import {
  newDataDir,
  type Product,
  removeDataDirs,
  stopProducts,
  TOKEN,
} from './support/product.ts';
import { connect, eventsUrl } from '../api/support/ws-client.ts';
import { untilWithin } from '../support/wait.ts';

const DID = '+4930200';
/** The From of media-caller-wait-bye.xml. */
const CALLER = '+4915112345678';
/** RFC 4733 events. */
const KEY = { '2': 2, '*': 10, '#': 11 } as const;

const sipps = new Set<SippProcess>();
afterEach(async () => {
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  await releaseMedia();
  await stopProducts();
  await removeDataDirs();
});

const until = untilWithin(20_000);

function startProduct(
  customerPort: number,
  store: { db: Db } | { dataDir: string },
  sipPort?: number,
): Promise<Product> {
  return startMediaProduct({
    trunkPort: customerPort,
    store,
    ...(sipPort === undefined ? {} : { sipPort }),
    logLevel: 'info',
    rtpFrom: 34000,
  });
}

function heard(peer: RtpPeer, from = 0): Audio {
  return { sampleRate: 8000, samples: peer.audio('PCMU', 0, from) };
}

/** A department with the callback key 2 and one registered agent who is away. */
async function setUp(
  r: Product,
  fields: Record<string, unknown>,
  agentPort: number,
  allow: string[] = ['+49151*'],
): Promise<{ deptId: string; agentId: string }> {
  const d = await r.api<{ id: string }>('POST', '/departments', {
    name: 'Support',
    callbackKey: '2',
    noAgentAction: { kind: 'hangup' },
    ...fields,
  });
  await r.api('POST', '/dids', { number: DID, departmentId: d.id });
  for (const pattern of allow) await r.api('POST', '/mobile-allow-list', { pattern });
  const agentId = await registeredAgent(r, d.id, { ...ALICE, status: 'away' }, { port: agentPort });
  return { deptId: d.id, agentId };
}

function waitingCaller(r: Product, peer: RtpPeer, name = 'media-caller-wait-bye') {
  return dial(r, DID, { scenario: name, peer, timeoutSeconds: 90 });
}

/** The call ids waiting in the department, in queue order. */
function waitingIds(r: Product): string[] {
  return r.telephony.live()!.departments.flatMap((d) => d.waiting.map((w) => w.callId));
}

/** Waits until the caller was answered into media and has heard a little; returns where media comes from. */
async function answered(peer: RtpPeer) {
  await until('the caller answered into media', () => peer.received.length > 50, 30_000);
  return peer.received[0]!.from;
}

/** Nothing of any call is left, no callback's endpoint or held request either. */
async function expectIdle(r: Product): Promise<void> {
  await expectMediaIdle(r);
  expect(r.telephony.calls.callControl.callbacks?.endpoints).toBe(0);
  expect(r.telephony.calls.callControl.callbacks?.held).toBe(0);
}

/** On failure: what the product logged about media and callbacks, and the media server's counts. */
function dumpMediaLog(r: Product): void {
  for (const l of r.logLines()) {
    const text = JSON.stringify(l);
    if (/rtp|callback|media|"level":[45]0/.test(text)) console.log(text.slice(0, 500));
  }
  console.log('media server counts', JSON.stringify(r.telephony.media?.embedded?.counts()));
}

async function callRow(r: Product, id: string) {
  return r.api<{ id: string; outcome: string | null; kind: string; agentId: string | null }>(
    'GET',
    `/calls/${encodeURIComponent(id)}`,
  );
}

async function storedState(db: Db, callId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ state: string }>(
    'SELECT state FROM callback_requests WHERE call_id = $1',
    [callId],
  );
  return rows[0]?.state;
}

describe('callbacks keeping the place, end to end', () => {
  it('the caller presses 2 and is hung up; the request keeps its place; the agent is rung as a callback, the customer dialled and bridged', async () => {
    const customerPort = await freePort();
    const db = await openMigratedPglite();
    const r = await startProduct(customerPort, { db });
    onTestFailed(() => dumpMediaLog(r));
    const agentPort = await freePort();
    const { deptId, agentId } = await setUp(
      r,
      { ringTimeoutS: 20, exitKey: '*', exitKeyAction: { kind: 'hangup' } },
      agentPort,
    );
    // A wallboard on the WebSocket stream (closed with the product).
    const stream = await connect(`${eventsUrl(r.app.httpUrl)}?types=callback.*`, {
      authorization: `Bearer ${TOKEN}`,
    });

    // Caller A waits, presses 2 (and again, and again: a flood changes nothing).
    const a = await rtpPeer();
    const callerA = waitingCaller(r, a);
    const mediaA = await answered(a);
    await until('caller A queued', () => waitingIds(r).length === 1);
    const callId = waitingIds(r)[0]!;
    const markA = a.received.length;
    for (let i = 0; i < 5; i++) await a.sendDtmf(mediaA, 101, KEY['2'], 60, 1);
    assertSippPassed(await callerA, 'caller A');
    const afterKey = heard(a, markA);
    expect(findPrompt(afterKey, prompt('callback-on')).score).toBeGreaterThan(0.8);
    expect(findPrompt(afterKey, prompt('callback-kept')).score).toBeGreaterThan(0.8);
    expect(findPrompt(afterKey, prompt('goodbye')).score).toBeGreaterThan(0.8);
    const requested = r.logLines().filter((l) => l.msg === 'callback: requested, place kept');
    expect(requested).toHaveLength(1);
    expect(await storedState(db, callId)).toBe('pending');

    // Caller B, later: the request stays ahead of it. B then leaves by the exit key.
    const b = await rtpPeer();
    const callerB = waitingCaller(r, b);
    const mediaB = await answered(b);
    await until('caller B queued', () => waitingIds(r).length === 2);
    expect(waitingIds(r)[0]).toBe(callId);
    await b.sendDtmf(mediaB, 101, KEY['*']);
    assertSippPassed(await callerB, 'caller B');
    await until('caller B gone', () => waitingIds(r).length === 1);

    // The agent answers the callback; the customer answers on the trunk.
    const agentRtp = await rtpPeer();
    const customerRtp = await rtpPeer();
    const agentPhone = await startSipp({
      scenario: scenario('media-agent-answer'),
      localPort: agentPort,
      keys: { agent_rtp_port: String(agentRtp.port) },
      timeoutSeconds: 60,
    });
    sipps.add(agentPhone);
    const customer = await startSipp({
      scenario: scenario('callback-customer-answer-bye'),
      localPort: customerPort,
      keys: { customer_rtp_port: String(customerRtp.port) },
      timeoutSeconds: 60,
    });
    sipps.add(customer);
    await r.api('PUT', `/agents/${agentId}/status`, { status: 'available' });
    await until('the callback connected', () =>
      r.telephony.live()!.connected.some((c) => c.callId === callId),
    );
    // The agent heard ringing while the customer was dialled (1.5 s before its answer).
    await until('the agent heard something', () => agentRtp.received.length > 40, 5000);
    const ringing = windows(agentRtp.audio('PCMU'), 200).map((w) => toneRatio(w, 440, 8000));
    const types = [...new Set(agentRtp.received.map((p) => p.payloadType))].join(',');
    expect(
      Math.max(...ringing),
      `${agentRtp.received.length} packets, types ${types}`,
    ).toBeGreaterThan(0.3);
    // Both directions pass through the bridged endpoints.
    const agentMedia = agentRtp.received[0]!.from;
    const agentMark = agentRtp.received.length;
    await agentRtp.sendAudio(agentMedia, 0, tone([1000], 1500, 8000, 8000), encodeMu);
    await until('the customer hears the agent', () => customerRtp.received.length > 40, 10_000);
    const toCustomer = windows(customerRtp.audio('PCMU'), 200).map((w) => toneRatio(w, 1000, 8000));
    expect(Math.max(...toCustomer)).toBeGreaterThan(0.8);
    const customerMedia = customerRtp.received[0]!.from;
    await customerRtp.sendAudio(customerMedia, 0, tone([2000], 1500, 8000, 8000), encodeMu);
    const toAgent = windows(agentRtp.audio('PCMU', 0, agentMark), 200).map((w) =>
      toneRatio(w, 2000, 8000),
    );
    expect(Math.max(...toAgent)).toBeGreaterThan(0.8);

    // The customer hangs up: the agent's leg is ended, the callback logged as answered.
    const agentResult = await agentPhone.finished;
    assertSippPassed(agentResult, 'agent');
    // The agent's phone showed the callback and its number.
    expect(agentResult.messages).toMatch(/^From: "Callback \+4915112345678"/m);
    const customerResult = await customer.finished;
    assertSippPassed(customerResult, 'customer');
    expect(
      countInTrace(customerResult.messages, new RegExp(`INVITE sip:\\${CALLER}@`), 'received'),
    ).toBe(1);
    await until('the callback logged', async () => (await callRow(r, callId)).outcome !== null);
    expect(await callRow(r, callId)).toMatchObject({
      outcome: 'answered',
      kind: 'callback',
      agentId,
    });
    expect(await storedState(db, callId)).toBe('reached');
    const callbackEvents = stream.events.map((e) => ({ type: e.type, ...e.data }));
    expect(callbackEvents).toMatchObject([
      { type: 'callback.requested', callId, departmentId: deptId, number: CALLER },
      { type: 'callback.dialing', callId, agentId, number: CALLER, attempt: 1 },
      { type: 'callback.connected', callId, departmentId: deptId, agentId, attempt: 1 },
    ]);
    await expectIdle(r);
    expect(r.telephony.calls.callControl.callbacks?.requests).toBe(0);
  }, 180_000);

  it('a customer who is busy is tried again after the interval, then the callback ends as callback-failed', async () => {
    const customerPort = await freePort();
    const db = await openMigratedPglite();
    const r = await startProduct(customerPort, { db });
    onTestFailed(() => dumpMediaLog(r));
    const agentPort = await freePort();
    const { deptId, agentId } = await setUp(
      r,
      { ringTimeoutS: 20, callbackRetries: 1, callbackRetryIntervalS: 10 },
      agentPort,
    );
    const stream = await connect(`${eventsUrl(r.app.httpUrl)}?types=callback.*`, {
      authorization: `Bearer ${TOKEN}`,
    });
    const a = await rtpPeer();
    const caller = waitingCaller(r, a);
    const media = await answered(a);
    await until('queued', () => waitingIds(r).length === 1);
    const callId = waitingIds(r)[0]!;
    await a.sendDtmf(media, 101, KEY['2']);
    assertSippPassed(await caller, 'caller');

    const agentRtp = await rtpPeer();
    const agentPhone = await startSipp({
      scenario: scenario('media-agent-answer'),
      localPort: agentPort,
      keys: { agent_rtp_port: String(agentRtp.port) },
      calls: 2,
      timeoutSeconds: 90,
    });
    sipps.add(agentPhone);
    const customer = await startSipp({
      scenario: scenario('callback-customer-busy'),
      localPort: customerPort,
      calls: 2,
      timeoutSeconds: 90,
    });
    sipps.add(customer);
    const started = Date.now();
    await r.api('PUT', `/agents/${agentId}/status`, { status: 'available' });
    await until(
      'the first try failed',
      async () =>
        (await storedState(db, callId)) === 'pending' &&
        (
          await db.query<{ n: number }>(
            'SELECT failed_tries AS n FROM callback_requests WHERE call_id = $1',
            [callId],
          )
        ).rows[0]?.n === 1,
    );
    await until(
      'the callback failed',
      async () => (await callRow(r, callId)).outcome !== null,
      60_000,
    );
    // The retry waited its interval.
    expect(Date.now() - started).toBeGreaterThan(10_000);
    expect(await callRow(r, callId)).toMatchObject({
      outcome: 'callback-failed',
      kind: 'callback',
    });
    expect(await storedState(db, callId)).toBe('failed');
    await stream.waitFor((e) => e.type === 'callback.failed');
    expect(stream.events.map((e) => ({ type: e.type, ...e.data }))).toMatchObject([
      { type: 'callback.requested', callId, departmentId: deptId, number: CALLER },
      { type: 'callback.dialing', callId, agentId, attempt: 1 },
      { type: 'callback.retry-scheduled', callId, departmentId: deptId, failedTries: 1 },
      { type: 'callback.dialing', callId, agentId, attempt: 2 },
      { type: 'callback.failed', callId, departmentId: deptId, number: CALLER, failedTries: 2 },
    ]);
    assertSippPassed(await agentPhone.finished, 'agent');
    assertSippPassed(await customer.finished, 'customer');
    await expectIdle(r);
  }, 180_000);

  it('a number the department does not allow is refused with a prompt and logged; the caller stays queued', async () => {
    const customerPort = await freePort();
    const r = await startProduct(customerPort, { db: await openMigratedPglite() });
    await setUp(r, { exitKey: '*', exitKeyAction: { kind: 'hangup' } }, await freePort(), [
      '+4930*',
    ]);
    const a = await rtpPeer();
    const caller = waitingCaller(r, a);
    const media = await answered(a);
    await until('queued', () => waitingIds(r).length === 1);
    const callId = waitingIds(r)[0]!;
    const mark = a.received.length;
    await a.sendDtmf(media, 101, KEY['2']);
    await until('the refusal logged', () =>
      r.logLines().some((l) => l.msg === 'callback: number refused; the caller stays queued'),
    );
    const refusal = r
      .logLines()
      .find((l) => l.msg === 'callback: number refused; the caller stays queued');
    expect(refusal).toMatchObject({ callId, number: CALLER, why: 'not on the allow-list' });
    // Still queued, music again; then the caller leaves by the exit key.
    await sleep(4000);
    expect(waitingIds(r)).toEqual([callId]);
    await a.sendDtmf(media, 101, KEY['*']);
    assertSippPassed(await caller, 'caller');
    expect(findPrompt(heard(a, mark), prompt('callback-refused')).score).toBeGreaterThan(0.8);
    await until('logged', async () => (await callRow(r, callId)).outcome !== null);
    expect(await callRow(r, callId)).toMatchObject({ outcome: 'abandoned', kind: 'inbound' });
    await expectIdle(r);
  }, 180_000);

  it('a withheld caller enters the number by DTMF ending with #', async () => {
    const customerPort = await freePort();
    const r = await startProduct(customerPort, { db: await openMigratedPglite() });
    await setUp(r, {}, await freePort(), ['+4930*']);
    const a = await rtpPeer();
    const caller = waitingCaller(r, a, 'media-caller-anonymous-wait-bye');
    const media = await answered(a);
    await until('queued', () => waitingIds(r).length === 1);
    const mark = a.received.length;
    await a.sendDtmf(media, 101, KEY['2']);
    await sleep(500);
    for (const d of '4930555') await a.sendDtmf(media, 101, Number(d), 80, 1);
    await a.sendDtmf(media, 101, KEY['#']);
    assertSippPassed(await caller, 'caller');
    const after = heard(a, mark);
    expect(findPrompt(after, prompt('callback-enter')).score).toBeGreaterThan(0.8);
    expect(findPrompt(after, prompt('callback-on')).score).toBeGreaterThan(0.8);
    const line = r.logLines().find((l) => l.msg === 'callback: requested, place kept');
    expect(line).toMatchObject({ number: '+4930555' });
    expect(waitingIds(r)).toHaveLength(1);
  }, 180_000);

  it('a pending request survives a restart: queued again at its place, ahead of a later caller', async () => {
    const customerPort = await freePort();
    const sipPort = await freePort();
    const dataDir = await newDataDir();
    const first = await startProduct(customerPort, { dataDir }, sipPort);
    await setUp(first, {}, await freePort());
    const a = await rtpPeer();
    const caller = waitingCaller(first, a);
    const media = await answered(a);
    await until('queued', () => waitingIds(first).length === 1);
    const callId = waitingIds(first)[0]!;
    await a.sendDtmf(media, 101, KEY['2']);
    assertSippPassed(await caller, 'caller');
    await stopProducts();

    const second = await startProduct(customerPort, { dataDir }, sipPort);
    expect(waitingIds(second)).toEqual([callId]);
    const call = await callRow(second, callId);
    expect(call).toMatchObject({ outcome: null, kind: 'callback' });
    // The agent registered with the first run is still known; a new caller queues behind.
    const b = await rtpPeer();
    const callerB = waitingCaller(second, b);
    await answered(b);
    await until('caller B queued', () => waitingIds(second).length === 2);
    expect(waitingIds(second)[0]).toBe(callId);
    await stopProducts();
    await callerB;
  }, 180_000);
});
