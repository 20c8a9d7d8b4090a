/**
 * Callback requests across a leader's death, with real parts: two product
 * processes on the throwaway Postgres server, both connected to one embedded
 * SIP server (support/instances.ts), each with its own embedded media
 * server; sipp for the caller, the agent's softphone and the customer behind
 * the trunk; a real RTP socket for the caller's key press.
 *
 * A caller queued while the only agent is away presses the callback key and
 * hangs up; the leader is killed with SIGKILL; the standby takes over, queues
 * the stored request again and, once the agent is available, rings the agent
 * with the callback's caller ID and dials the customer. The call log shows
 * the callback answered once: the dead leader dialled nobody, and the
 * takeover's reconcile did not close the pending request's call as node-lost.
 *
 * Killed while its INVITE to the customer rings, the leader leaves an INVITE
 * nobody can cancel but the SIP server's Timer C (short here): the new leader
 * holds the request until that INVITE's time is over, so the customer's
 * trunk never has two INVITEs ringing at once.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { EmbeddedSipServer } from '../../src/edge/index.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import { RtpPeer } from '../support/rtp-peer.ts';
import { offerSpans, overlappingOffers, parseTrace } from '../support/sip-trace.ts';
import {
  assertSippPassed,
  countInTrace,
  runSipp,
  type SippProcess,
  startSipp,
} from '../support/sipp.ts';
import { untilWithin } from '../support/wait.ts';
import type { ChildProduct } from './support/child-product.ts';
import {
  registerSoftphone,
  sqlOnce,
  startInstance,
  startSharedSipServer,
} from './support/instances.ts';
import { removeDataDirs } from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);

const SECRET = 'callback-takeover-secret';
const DID = '+4930200';
/** The From of media-caller-wait-bye.xml. */
const CALLER = '+4915112345678';
/** RFC 4733 event of the callback key. */
const KEY_2 = 2;
const AGENT = { sipUsername: '2001', password: 'pw-alice-secret' };
/**
 * The shared SIP server's Timer C, and what the instances are told it is:
 * short, so that a lost INVITE's hold is over in seconds.
 */
const TIMER_C_MS = 4000;

let pg: TestPostgres;
let sip: EmbeddedSipServer;
const children: ChildProduct[] = [];
const sipps = new Set<SippProcess>();
const peers = new Set<RtpPeer>();

beforeAll(async () => {
  pg = await startPostgres();
  sip = await startSharedSipServer(SECRET, { timerCMs: TIMER_C_MS });
});
afterEach(async () => {
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  await Promise.all([...peers].map((p) => p.close()));
  peers.clear();
  await Promise.all(children.splice(0).map((c) => c.kill()));
});
afterAll(async () => {
  await sip?.close();
  await pg?.stop();
  await removeDataDirs();
});

const until = untilWithin(30_000);

/** An instance that answers queued callers into media (the callback key needs it). */
async function instance(id: string, url: string, customerPort: number): Promise<ChildProduct> {
  // Each process's media server gets RTP ports of its own.
  const rtpBase = 40_000 + 200 * Math.floor(Math.random() * 100);
  const p = await startInstance({
    id,
    databaseUrl: url,
    sip,
    secret: SECRET,
    trunkPort: customerPort,
    env: {
      ACD_MEDIA_CALLERS: 'answer',
      // sipp's phones expect only INVITEs: no OPTIONS probes of the registered softphone.
      ACD_REGISTER_PROBE_INTERVAL_S: '0',
      ACD_SIP_TIMER_C_S: String(TIMER_C_MS / 1000),
      ACD_RTP_PORT_MIN: String(rtpBase),
      ACD_RTP_PORT_MAX: String(rtpBase + 99),
    },
  });
  children.push(p);
  return p;
}

async function rtpPeer(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.add(p);
  return p;
}

function sipAddress(): { host: string; port: number } {
  const a = sip.sipAddresses[0];
  if (!a) throw new Error('the shared SIP server has no address');
  return { host: a.host, port: a.port };
}

interface Live {
  departments: Array<{ waiting: Array<{ callId: string }> }>;
  calls: Array<{ callId: string }>;
}

async function waitingIds(p: ChildProduct): Promise<string[]> {
  const live = await p.api<Live>('GET', '/live');
  return live.departments.flatMap((d) => d.waiting.map((w) => w.callId));
}

/** A department with callback key 2 and its one agent, away (so a caller waits). */
async function setUp(p: ChildProduct): Promise<{ agentId: string }> {
  const d = await p.api<{ id: string }>('POST', '/departments', {
    name: 'Support',
    callbackKey: '2',
    noAgentAction: { kind: 'hangup' },
    ringTimeoutS: 20,
  });
  await p.api('POST', '/dids', { number: DID, departmentId: d.id });
  await p.api('POST', '/mobile-allow-list', { pattern: '+49151*' });
  const agent = await p.api<{ id: string }>('POST', '/agents', {
    name: 'alice',
    sipUsername: AGENT.sipUsername,
    password: AGENT.password,
    status: 'away',
  });
  await p.api('POST', '/memberships', { agentId: agent.id, departmentId: d.id, priority: 1 });
  return { agentId: agent.id };
}

/** The agent's softphone registers at `agentPort` through the shared SIP server (the leader takes it). */
async function register(agentPort: number): Promise<void> {
  await registerSoftphone(sip, agentPort, AGENT);
}

/**
 * A caller queues on the leader, presses 2, hears its number accepted and is
 * hung up. Returns the call's id once its request is stored.
 */
async function requestCallback(leader: ChildProduct, url: string): Promise<string> {
  const peer = await rtpPeer();
  const caller = runSipp({
    scenario: scenario('media-caller-wait-bye'),
    localPort: await freePort(),
    remote: sipAddress(),
    service: DID.slice(1),
    keys: { rtp_port: String(peer.port) },
    timeoutSeconds: 60,
  });
  caller.catch(() => {});
  await until('the caller answered into media', () => peer.received.length > 50);
  const media = peer.received[0]?.from;
  if (!media) throw new Error('no media source');
  let callId = '';
  await until('the caller queued', async () => {
    callId = (await waitingIds(leader))[0] ?? '';
    return callId !== '';
  });
  await peer.sendDtmf(media, 101, KEY_2);
  assertSippPassed(await caller, 'caller');
  await until(
    'the request stored',
    async () => (await storedRequest(url, callId))?.state === 'pending',
  );
  return callId;
}

async function storedRequest(
  url: string,
  callId: string,
): Promise<{ state: string; failedTries: number } | undefined> {
  const rows = await sqlOnce<{ state: string; failed_tries: number }>(
    url,
    'SELECT state, failed_tries FROM callback_requests WHERE call_id = $1',
    [callId],
  );
  const r = rows[0];
  return r ? { state: r.state, failedTries: Number(r.failed_tries) } : undefined;
}

/** The call's `call.ended` events: outcome and reason. */
async function endings(url: string, callId: string) {
  return sqlOnce<{ outcome: string; reason: string | null }>(
    url,
    `SELECT payload->>'outcome' AS outcome, payload->>'reason' AS reason
       FROM event_log WHERE call_id = $1 AND type = 'call.ended' ORDER BY id`,
    [callId],
  );
}

/** SIGKILL of the leader; resolves once the standby routes, with the takeover's duration. */
async function killLeader(leader: ChildProduct, standby: ChildProduct): Promise<number> {
  const killedAt = Date.now();
  await leader.kill();
  const line = await standby.waitForLine(
    (e) => e.msg === 'this instance now routes (leader)',
    15_000,
  );
  // The log line's own time (pino writes ISO), not when the polling saw it.
  const loggedAt = Date.parse(String(line.time));
  const ms = (Number.isNaN(loggedAt) ? Date.now() : loggedAt) - killedAt;
  console.log(`callback takeover: the standby routes ${ms} ms after the SIGKILL`);
  return ms;
}

function dumpLogs(...products: ChildProduct[]): void {
  for (const p of products) {
    for (const l of p.lines()) {
      const text = JSON.stringify(l);
      if (/callback|reconcile|leader|standby|"level":[45]0/.test(text))
        console.log(text.slice(0, 600));
    }
  }
}

/**
 * The agent's phone answering `calls` rings and the customer on the trunk
 * (`customerScenario`, `calls` INVITEs), each with an RTP socket; stopped
 * after the test.
 */
async function callbackPhones(
  agentPort: number,
  customerPort: number,
  customerScenario: string,
  calls: number,
) {
  const agentRtp = await rtpPeer();
  const customerRtp = await rtpPeer();
  const agentPhone = await startSipp({
    scenario: scenario('media-agent-answer'),
    localPort: agentPort,
    keys: { agent_rtp_port: String(agentRtp.port) },
    calls,
    timeoutSeconds: 90,
  });
  sipps.add(agentPhone);
  const customer = await startSipp({
    scenario: scenario(customerScenario),
    localPort: customerPort,
    keys: { customer_rtp_port: String(customerRtp.port) },
    calls,
    timeoutSeconds: 90,
  });
  sipps.add(customer);
  return { agentPhone, customer };
}

/**
 * A fresh database, the leader 'a' and the standby 'b' (each sure of its
 * role), the department and agent set up through the leader.
 */
async function leaderAndStandby() {
  const url = await pg.createMigratedDatabase();
  const customerPort = await freePort();
  const agentPort = await freePort();
  const a = await instance('a', url, customerPort);
  await a.waitForLine((e) => e.msg === 'this instance now routes (leader)', 30_000);
  const b = await instance('b', url, customerPort);
  await b.waitForLine((e) => e.msg === 'standby: another instance routes', 30_000);
  onTestFailed(() => dumpLogs(a, b));
  const { agentId } = await setUp(a);
  return { url, customerPort, agentPort, a, b, agentId };
}

describe('callbacks across a takeover', () => {
  it('a stored request outlives the leader: the new leader rings the agent as a callback, dials the customer once and logs the callback answered', async () => {
    const { url, customerPort, agentPort, a, b, agentId } = await leaderAndStandby();
    // The softphone registers with the leader, after the standby has started.
    await register(agentPort);

    const callId = await requestCallback(a, url);
    expect(
      a.lines().filter((l) => l.msg === 'callback: requested, place kept' && l.callId === callId),
    ).toHaveLength(1);
    expect(await waitingIds(a)).toEqual([callId]);

    const takeoverMs = await killLeader(a, b);
    expect(takeoverMs).toBeLessThan(5000);
    await until('the new leader queued the stored request', async () =>
      (await waitingIds(b)).includes(callId),
    );
    // The takeover's reconcile ran and left the request's call open.
    const call = await b.api<{ outcome: string | null; kind: string }>(
      'GET',
      `/calls/${encodeURIComponent(callId)}`,
    );
    expect(call).toMatchObject({ outcome: null, kind: 'callback' });

    // The agent becomes available; the customer answers on the trunk.
    const { agentPhone, customer } = await callbackPhones(
      agentPort,
      customerPort,
      'callback-customer-answer-bye',
      1,
    );
    await b.api('PUT', `/agents/${agentId}/status`, { status: 'available' });
    await until('the callback connected on the new leader', async () =>
      (await b.api<Live>('GET', '/live')).calls.some((c) => c.callId === callId),
    );

    // The customer hangs up after 8 s; the agent's leg is ended.
    const customerResult = await customer.finished;
    sipps.delete(customer);
    assertSippPassed(customerResult, 'customer');
    const agentResult = await agentPhone.finished;
    sipps.delete(agentPhone);
    assertSippPassed(agentResult, 'agent');
    expect(agentResult.messages).toMatch(new RegExp(`^From: "Callback \\${CALLER}"`, 'm'));
    expect(countInTrace(agentResult.messages, /^INVITE /, 'received')).toBe(1);
    expect(
      countInTrace(customerResult.messages, new RegExp(`^INVITE sip:\\${CALLER}@`), 'received'),
    ).toBe(1);

    await until('the callback logged', async () => (await endings(url, callId)).length > 0);
    expect(await b.api('GET', `/calls/${encodeURIComponent(callId)}`)).toMatchObject({
      outcome: 'answered',
      kind: 'callback',
      agentId,
    });
    expect(await storedRequest(url, callId)).toEqual({ state: 'reached', failedTries: 0 });
    // Exactly one end, and not the reconcile's.
    expect(await endings(url, callId)).toEqual([{ outcome: 'answered', reason: null }]);
    expect(
      b.lines().filter((l) => l.msg === 'callback: stored requests queued again'),
    ).toHaveLength(1);
  }, 240_000);
  it('a callback being dialled when the leader dies is held while its lost INVITE may ring, then tried again: the lost legs are hung up, the customer rung by one INVITE at a time and reached once, the try not counted as failed', async () => {
    const { url, customerPort, agentPort, a, b, agentId } = await leaderAndStandby();
    await register(agentPort);
    const callId = await requestCallback(a, url);

    // The agent answers both rings (the dead leader's and the new leader's);
    // the customer lets the first INVITE ring until it is cancelled and
    // answers the next one after 2 s.
    const { agentPhone, customer } = await callbackPhones(
      agentPort,
      customerPort,
      'callback-customer-rings-out-then-answers',
      2,
    );
    // Made available at the leader: the new leader's engine must learn it from the store.
    await a.api('PUT', `/agents/${agentId}/status`, { status: 'available' });
    await a.waitForLine((e) => e.msg === 'callback: agent answered; dialling the customer', 30_000);
    // The customer's phone rings when the leader dies.
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = Date.now();
    expect(await killLeader(a, b)).toBeLessThan(5000);

    await until('the callback logged', async () => (await endings(url, callId)).length > 0, 90_000);
    const customerResult = await customer.stop();
    sipps.delete(customer);
    const agentResult = await agentPhone.stop();
    sipps.delete(agentPhone);
    const customerTrace = parseTrace(customerResult.messages);
    const agentTrace = parseTrace(agentResult.messages);
    const invites = (trace: typeof customerTrace) =>
      trace.filter((m) => m.direction === 'received' && m.method === 'INVITE');
    const at = (
      trace: typeof customerTrace,
      callIdOf: string,
      what: (m: (typeof trace)[0]) => boolean,
    ) => trace.find((m) => m.callId === callIdOf && what(m))?.at;

    // The dead leader's agent leg: hung up by the new leader before it routes.
    const [lostAgentLeg, newAgentLeg] = invites(agentTrace);
    expect(lostAgentLeg && newAgentLeg, 'the agent rung by each leader').toBeTruthy();
    const lostByeAt = at(agentTrace, lostAgentLeg!.callId, (m) => m.method === 'BYE');
    expect(lostByeAt).toBeDefined();
    expect(lostByeAt! - killedAt).toBeLessThan(5000);
    expect(lostByeAt!).toBeLessThan(newAgentLeg!.at);
    expect(agentResult.messages).toMatch(new RegExp(`^From: "Callback \\${CALLER}"`, 'm'));

    // The customer: the dead leader's INVITE rang until the SIP server's
    // Timer C cancelled it (nobody else could); the new leader's came only
    // after that: never two at once.
    const [lostLeg, newLeg] = invites(customerTrace);
    expect(invites(customerTrace)).toHaveLength(2);
    expect(lostLeg!.at).toBeLessThan(killedAt);
    const lostCancel = at(
      customerTrace,
      lostLeg!.callId,
      (m) => m.method === 'CANCEL' && m.direction === 'received',
    );
    const lostEnd = at(
      customerTrace,
      lostLeg!.callId,
      (m) => m.status === 487 && m.direction === 'sent',
    );
    expect(lostCancel && lostEnd, 'the lost INVITE rang until cancelled').toBeTruthy();
    expect(lostEnd! - lostLeg!.at).toBeGreaterThanOrEqual(TIMER_C_MS);
    expect(newLeg!.at).toBeGreaterThan(lostEnd!);
    expect(overlappingOffers(offerSpans(customerTrace))).toEqual([]);
    // The new leader knew that INVITE might ring (the open-legs journal)
    // and held the request until its time was over (the SIP server's Timer
    // C, then a margin); the new INVITE came after the hold.
    const lost = b
      .lines()
      .filter(
        (l) =>
          l.msg ===
            'reconcile: a lost dial-out may still ring its number (its INVITE cannot be cancelled)' &&
          l.number === CALLER,
      );
    expect(lost).toHaveLength(1);
    const held = b
      .lines()
      .filter(
        (l) =>
          l.msg ===
            'callback: held; a lost dial-out of a dead instance may still ring the customer' &&
          l.callId === callId,
      );
    expect(held).toHaveLength(1);
    const heldUntil = Date.parse(String(held[0]!.until));
    expect(
      b.lines().filter((l) => l.msg === 'callback: hold over; queued again' && l.callId === callId),
    ).toHaveLength(1);
    expect(heldUntil).toBeGreaterThanOrEqual(lostLeg!.at + TIMER_C_MS);
    expect(newLeg!.at).toBeGreaterThanOrEqual(heldUntil);
    // The new leader's leg is the one bridged: the customer hangs it up after 4 s.
    const newBye = at(
      customerTrace,
      newLeg!.callId,
      (m) => m.method === 'BYE' && m.direction === 'sent',
    );
    expect(newBye, 'the new leg talked until the customer hung up').toBeDefined();
    console.log(
      `callback takeover: lost INVITE cancelled ${lostEnd! - lostLeg!.at} ms after it arrived; ` +
        `the new INVITE came ${newLeg!.at - lostLeg!.at} ms after it (held until +${heldUntil - lostLeg!.at} ms)`,
    );

    expect(await b.api('GET', `/calls/${encodeURIComponent(callId)}`)).toMatchObject({
      outcome: 'answered',
      kind: 'callback',
      agentId,
    });
    // Both leaders' rings are in the log: the new leader numbered its ring after the dead one's.
    const logged = await b.api<{ attempts: Array<{ id: string; result: string | null }> }>(
      'GET',
      `/calls/${encodeURIComponent(callId)}`,
    );
    expect(logged.attempts.map((t) => t.id)).toEqual([`${callId}/1`, `${callId}/2`]);
    expect(logged.attempts[1]?.result).toBe('answered');
    expect(
      b.lines().filter((l) => l.msg === 'call log: event refused by the database, dropped'),
    ).toEqual([]);
    // The interrupted try is no failed try: the request was reached on its first count.
    expect(await storedRequest(url, callId)).toEqual({ state: 'reached', failedTries: 0 });
    expect(await endings(url, callId)).toEqual([{ outcome: 'answered', reason: null }]);
  }, 240_000);
});
