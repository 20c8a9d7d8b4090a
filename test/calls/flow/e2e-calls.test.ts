/**
 * The call path end to end over loopback: sipp caller -> SIP server (embedded,
 * drachtio wire protocol) -> drachtio-srf -> CallControl + ACD engine ->
 * drachtio-srf -> SIP server -> sipp agents. sipp's exit code is the verdict
 * on what each peer saw (the agent scenarios also check the caller ID in
 * From); the call log events and the engine state are checked here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { type SipTarget, startSipTarget, statNumber } from '../../support/sip-target.ts';
import { assertSippPassed, countInTrace, type SippResult } from '../../support/sipp.ts';
import { type Flow, type FlowOptions, startFlow } from './support/e2e.ts';

let target: SipTarget;
let flow: Flow | null = null;

beforeAll(async () => {
  target = await startSipTarget();
});
afterAll(async () => {
  await target?.close();
});
afterEach(async () => {
  const f = flow;
  flow = null;
  if (!f) return;
  await f.close();
  // Leaks fail tests: every call, attempt and leg was released, in the app and in the server.
  expect(f.cc.sessions.size).toBe(0);
  expect(f.cc.attempts.size).toBe(0);
  expect(f.cc.driver.wakeAt).toBeNull();
  const stats = target.stats;
  if (stats)
    await waitUntil(() => statNumber(stats(), 'dialogs') === 0, 'no dialog left in the SIP server');
});

async function waitUntil(fn: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function start(o: FlowOptions): Promise<Flow> {
  flow = await startFlow(target.drachtio, target.sipPort, o);
  return flow;
}

async function finished(f: Flow, id: string, which: 'softphone' | 'mobile' = 'softphone') {
  const p = f.peers.get(id)?.[which];
  if (!p) throw new Error(`no ${which} for ${id}`);
  return p.finished;
}

async function idle(f: Flow): Promise<void> {
  await f.cc.settled();
}

function invitesSeen(r: SippResult): number {
  return countInTrace(r.messages, /^INVITE /, 'received');
}

/**
 * The methods of the requests a sipp peer received, in the order they first
 * arrived (a retransmission, same Call-ID and CSeq, is left out: under load
 * the server may resend an INVITE before the phone's 180).
 */
function requestsReceived(trace: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const block of trace.split(/^-{10,}.*$/m)) {
    const m = /message received[^\n]*\n+([A-Z]+) sip:/.exec(block);
    if (!m?.[1]) continue;
    const key = `${/^Call-ID:\s*(.*)$/im.exec(block)?.[1]}|${/^CSeq:\s*(.*)$/im.exec(block)?.[1]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m[1]);
  }
  return out;
}

/** Each attempt's result, in order (an answer is logged as `call.answered`). */
function results(f: Flow): string[] {
  return f.log
    .filter((e) => e.type === 'attempt.ended' || e.type === 'call.answered')
    .map(
      (e) => `${e.agentId}:${e.type === 'call.answered' ? 'answered' : String(e.payload.result)}`,
    );
}

function answeredBy(f: Flow): unknown {
  return f.log.find((e) => e.type === 'call.answered')?.payload.device;
}

function outcome(f: Flow): unknown {
  return f.log.find((e) => e.type === 'call.ended')?.payload.outcome;
}

describe('calls end to end through the embedded SIP server', () => {
  it('priority order: the best agent is rung first and answers; the other never rings', async () => {
    const f = await start({
      agents: [
        { id: 'bob', priority: 5, softphone: 'agent-answer' },
        { id: 'alice', priority: 1, softphone: 'agent-answer' },
      ],
    });
    const caller = await f.call('caller-talk-hangup');
    assertSippPassed(caller, 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    await idle(f);
    const bob = await f.peers.get('bob')?.softphone?.stop();
    expect(bob && invitesSeen(bob)).toBe(0);
    expect(results(f)).toEqual(['alice:answered']);
    expect(outcome(f)).toBe('answered');
    expect(f.logTypes()).toEqual([
      'call.arrived',
      'call.queued',
      'call.routed',
      'call.ringing',
      'call.answered',
      'call.ended',
    ]);
  });

  it('rolls over after the ring timeout to the next agent', async () => {
    const f = await start({
      department: { ringTimeoutS: 1 },
      agents: [
        { id: 'alice', softphone: 'agent-ring-cancel' },
        { id: 'bob', softphone: 'agent-answer' },
      ],
    });
    assertSippPassed(await f.call('caller-talk-hangup'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    assertSippPassed(await finished(f, 'bob'), 'bob');
    await idle(f);
    expect(results(f)).toEqual(['alice:no-answer', 'bob:answered']);
    const ring = f.log.find((e) => e.type === 'attempt.ended');
    expect(Number(ring?.payload.ringMs)).toBeGreaterThanOrEqual(900);
  });

  it('a busy agent is skipped and the next agent answers', async () => {
    const f = await start({
      agents: [
        { id: 'alice', softphone: 'agent-busy' },
        { id: 'bob', softphone: 'agent-answer' },
      ],
    });
    assertSippPassed(await f.call('caller-talk-hangup'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    assertSippPassed(await finished(f, 'bob'), 'bob');
    await idle(f);
    expect(results(f)).toEqual(['alice:busy', 'bob:answered']);
  });

  it('ring-all with two agents: the second answers and the first is cancelled', async () => {
    const f = await start({
      department: { strategy: 'ring-all', ringTimeoutS: 10 },
      agents: [
        { id: 'alice', softphone: 'agent-ring-cancel' },
        { id: 'bob', softphone: 'agent-answer' },
      ],
    });
    assertSippPassed(await f.call('caller-talk-hangup'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    assertSippPassed(await finished(f, 'bob'), 'bob');
    await idle(f);
    expect(results(f).sort()).toEqual(['alice:cancelled', 'bob:answered']);
  });

  it('both agents answer at once: one is bridged, the other is ACKed and BYEd', async () => {
    const f = await start({
      department: { strategy: 'ring-all', ringTimeoutS: 10 },
      agents: [
        { id: 'alice', softphone: 'agent-answer-now' },
        { id: 'bob', softphone: 'agent-answer-now' },
      ],
    });
    assertSippPassed(await f.call('caller-talk-hangup'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    assertSippPassed(await finished(f, 'bob'), 'bob');
    await idle(f);
    const r = results(f).sort();
    expect(r.filter((x) => x.endsWith(':answered'))).toHaveLength(1);
    expect(r.filter((x) => x.endsWith(':cancelled'))).toHaveLength(1);
  });

  it('fork to softphone and mobile: the mobile answers and the softphone is cancelled', async () => {
    const f = await start({
      department: { ringTimeoutS: 10 },
      agents: [
        { id: 'alice', forwarding: 'both', softphone: 'agent-ring-cancel', mobile: 'agent-answer' },
      ],
    });
    assertSippPassed(await f.call('caller-talk-hangup'), 'caller');
    assertSippPassed(await finished(f, 'alice', 'softphone'), 'softphone');
    assertSippPassed(await finished(f, 'alice', 'mobile'), 'mobile');
    await idle(f);
    expect(results(f)).toEqual(['alice:answered']);
    expect(answeredBy(f)).toBe('+4917000000');
  });

  it('the caller hangs up while an agent rings: the ring is cancelled, the call abandoned', async () => {
    const f = await start({
      department: { ringTimeoutS: 10 },
      agents: [{ id: 'alice', softphone: 'agent-ring-cancel' }],
    });
    assertSippPassed(await f.call('caller-cancel'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    await idle(f);
    expect(results(f)).toEqual(['alice:cancelled']);
    expect(outcome(f)).toBe('abandoned');
  });

  it('the caller hangs up while queued (agent away): the call leaves the queue', async () => {
    const f = await start({ agents: [{ id: 'alice', status: 'away', softphone: 'agent-answer' }] });
    assertSippPassed(await f.call('caller-cancel'), 'caller');
    await idle(f);
    expect(f.engine.snapshot().departments[0]?.waiting).toEqual([]);
    expect(outcome(f)).toBe('abandoned');
    expect(results(f)).toEqual([]);
  });

  it('the agent hangs up first: the caller gets BYE', async () => {
    const f = await start({ agents: [{ id: 'alice', softphone: 'agent-answer-then-bye' }] });
    assertSippPassed(await f.call('caller-wait-bye'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    await idle(f);
    expect(outcome(f)).toBe('answered');
  });

  it('a re-INVITE (hold) from the caller passes through to the agent and back', async () => {
    const f = await start({ agents: [{ id: 'alice', softphone: 'agent-hold' }] });
    assertSippPassed(await f.call('caller-hold'), 'caller');
    assertSippPassed(await finished(f, 'alice'), 'alice');
    await idle(f);
    expect(outcome(f)).toBe('answered');
  });

  it('softphone first then mobile: the mobile rings after the delay, answers, the softphone is cancelled', async () => {
    const f = await start({
      department: { ringTimeoutS: 10 },
      agents: [
        {
          id: 'alice',
          forwarding: 'softphone-then-mobile',
          softphone: 'agent-ring-cancel',
          mobile: 'agent-answer',
        },
      ],
    });
    const started = Date.now();
    assertSippPassed(await f.call('caller-talk-hangup'), 'caller');
    assertSippPassed(await finished(f, 'alice', 'softphone'), 'softphone');
    assertSippPassed(await finished(f, 'alice', 'mobile'), 'mobile');
    await idle(f);
    expect(answeredBy(f)).toBe('+4917000000');
    // The mobile leg waited for its 1 s delay (the caller's 200 came after it).
    const answered = f.log.find((e) => e.type === 'call.answered');
    expect(Number(answered?.payload.ringMs)).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('random spread over many calls: both agents get calls', async () => {
    const f = await start({
      department: { strategy: 'random', ringTimeoutS: 10 },
      callsPerAgent: 12,
      agents: [
        { id: 'alice', softphone: 'agent-answer' },
        { id: 'bob', softphone: 'agent-answer' },
      ],
    });
    const caller = await f.call('caller-talk-hangup', { calls: 12, rate: 4 });
    assertSippPassed(caller, 'caller');
    await idle(f);
    const alice = await f.peers.get('alice')?.softphone?.stop();
    const bob = await f.peers.get('bob')?.softphone?.stop();
    const a = alice ? invitesSeen(alice) : 0;
    const b = bob ? invitesSeen(bob) : 0;
    expect(a + b).toBe(12);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(results(f).filter((r) => r.endsWith(':answered'))).toHaveLength(12);
  });

  it('more callers than agents: calls wait in the queue and every one is answered in turn', async () => {
    const f = await start({
      department: { strategy: 'longest-idle', ringTimeoutS: 10 },
      callsPerAgent: 6,
      agents: [
        { id: 'alice', softphone: 'agent-answer' },
        { id: 'bob', softphone: 'agent-answer' },
      ],
    });
    const caller = await f.call('caller-talk-hangup', { calls: 6, rate: 20, limit: 4 });
    assertSippPassed(caller, 'caller');
    await idle(f);
    await f.peers.get('alice')?.softphone?.stop();
    await f.peers.get('bob')?.softphone?.stop();
    expect(results(f).filter((r) => r.endsWith(':answered'))).toHaveLength(6);
    const waits = f.log
      .filter((e) => e.type === 'call.answered')
      .map((e) => Number(e.payload.waitMs));
    // Four callers at once, two agents: at least two had to wait for a talking agent.
    expect(waits.filter((w) => w >= 300)).not.toHaveLength(0);
    expect(f.log.filter((e) => e.type === 'call.ended').map((e) => e.payload.outcome)).toEqual(
      Array(6).fill('answered'),
    );
  });

  it("the agent's next call waits for the BYE of the last one: BYE, then INVITE, on the agent's side", async () => {
    const f = await start({
      department: { strategy: 'longest-idle', ringTimeoutS: 10, wrapUpS: 0 },
      callsPerAgent: 3,
      agents: [{ id: 'alice', softphone: 'agent-answer' }],
    });
    // Three callers at once, one agent: each caller's BYE frees Alice for the next caller.
    const caller = await f.call('caller-talk-hangup', { calls: 3, rate: 50, limit: 3 });
    assertSippPassed(caller, 'caller');
    await idle(f);
    const alice = await f.peers.get('alice')?.softphone?.stop();
    if (!alice) throw new Error('no softphone for alice');
    assertSippPassed(alice, 'alice');
    const received = requestsReceived(alice.messages);
    // A phone that saw the next INVITE while its call was still up would answer it 486.
    expect(received).toEqual([
      'INVITE',
      'ACK',
      'BYE',
      'INVITE',
      'ACK',
      'BYE',
      'INVITE',
      'ACK',
      'BYE',
    ]);
    expect(results(f).filter((r) => r.endsWith(':answered'))).toHaveLength(3);
  });

  it('out of hours: the caller gets 480 and no agent rings', async () => {
    const f = await start({
      department: { businessHours: [] },
      agents: [{ id: 'alice', softphone: 'agent-answer' }],
    });
    assertSippPassed(await f.call('caller-expect-480'), 'caller');
    await idle(f);
    expect(outcome(f)).toBe('out-of-hours');
    const alice = await f.peers.get('alice')?.softphone?.stop();
    expect(alice && invitesSeen(alice)).toBe(0);
  });

  it('an unknown number gets 404', async () => {
    const f = await start({ agents: [{ id: 'alice', softphone: 'agent-answer' }] });
    assertSippPassed(await f.call('caller-expect-404', { dial: '4930999' }), 'caller');
    await idle(f);
    expect(f.cc.sessions.size).toBe(0);
  });

  it('a caller from an address that is neither trunk nor agent gets 403', async () => {
    const f = await start({
      trunks: ['192.0.2.1'],
      agents: [{ id: 'alice', softphone: 'agent-answer' }],
    });
    assertSippPassed(await f.call('caller-expect-403'), 'caller');
    await idle(f);
    expect(f.log).toEqual([]);
  });
});

describe('agent feature codes end to end', () => {
  it('*51 from a registered agent sets the agent available: answered and hung up at once', async () => {
    const f = await start({
      trunks: ['192.0.2.1'],
      agents: [{ id: 'alice', status: 'away', softphone: 'agent-answer' }],
      mayChangeOwnStatus: ['alice'],
    });
    const port = await freePort();
    f.agentPorts.set(port, 'alice');
    assertSippPassed(
      await f.call('caller-feature-code', { dial: '*51', localPort: port }),
      'agent',
    );
    await idle(f);
    expect(f.statusSet).toEqual([{ agentId: 'alice', status: 'available' }]);
    expect(f.engine.snapshot().agents.find((a) => a.id === 'alice')?.presence).toBe('available');
  });

  it('*52 from an agent who may not change their own status is refused with 403', async () => {
    const f = await start({
      trunks: ['192.0.2.1'],
      agents: [{ id: 'alice', softphone: 'agent-answer' }],
    });
    const port = await freePort();
    f.agentPorts.set(port, 'alice');
    assertSippPassed(await f.call('caller-expect-403', { dial: '*52', localPort: port }), 'agent');
    await idle(f);
    expect(f.statusSet).toEqual([]);
    expect(f.engine.snapshot().agents.find((a) => a.id === 'alice')?.presence).toBe('available');
  });
});

describe('the SIP server goes away mid-call', () => {
  it('every call still ends, is logged, and the agent is free again', async () => {
    const own = await startSipTarget();
    try {
      const f = await startFlow(own.drachtio, own.sipPort, {
        agents: [{ id: 'alice', softphone: 'agent-answer' }],
      });
      try {
        // The caller talks for 300 ms; the server is stopped while the call is up.
        await f.startCaller('caller-talk-hangup');
        await waitUntil(
          () => [...f.cc.sessions.values()].some((s) => s.state === 'connected'),
          'the call is connected',
        );
        await own.close();
        await waitUntil(() => f.cc.sessions.size === 0, 'every call ended');
        await f.cc.settled();
        expect(f.cc.attempts.size).toBe(0);
        expect(f.log.find((e) => e.type === 'call.ended')?.payload.outcome).toBe('answered');
        expect(f.engine.snapshot().agents[0]?.state).toBe('available');
      } finally {
        await f.close();
      }
    } finally {
      await own.close();
    }
  });
});
