import { afterEach, describe, expect, it } from 'vitest';
import { flush } from './support/manual-scheduler.ts';
import { StandInInbound } from './support/sip-standins.ts';
import { world } from './support/world.ts';

let current: ReturnType<typeof world> | null = null;
function make(o: Parameters<typeof world>[0]) {
  current = world(o);
  return current;
}

afterEach(async () => {
  // Leaks fail tests: after close, no call, attempt, leg, dialog or timer is left.
  const w = current;
  current = null;
  if (!w) return;
  const closing = w.cc.close();
  await flush();
  for (const inv of w.uac.invites) if (!inv.settled) inv.fail(487);
  await closing;
  expect(w.cc.sessions.size).toBe(0);
  expect(w.cc.attempts.size).toBe(0);
  expect(w.clock.pending).toBe(0);
});

describe('inbound admission', () => {
  it('refuses a caller that is neither a trunk nor a registered agent with 403', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const inbound = await w.call(
      new StandInInbound('sip:+4930100@acd.local', { From: '<sip:x@evil>;tag=1' }, '198.51.100.9'),
    );
    expect(inbound.final?.status).toBe(403);
    expect(w.uac.invites).toHaveLength(0);
    expect(w.cc.sessions.size).toBe(0);
  });

  it('answers an unknown number with 404', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const inbound = await w.call(new StandInInbound('sip:+4930999@acd.local'));
    expect(inbound.final?.status).toBe(404);
  });

  it('accepts a call from a registered agent (not a trunk)', async () => {
    const w = make({ agents: [{ id: 'alice' }, { id: 'bob' }] });
    const inbound = await w.call(
      new StandInInbound(
        'sip:+4930100@acd.local',
        { From: '<sip:alice@acd.local>;tag=1' },
        '192.0.2.11',
      ),
    );
    expect(inbound.final).toBeUndefined();
    expect(inbound.responses[0]?.status).toBe(180);
  });

  it('out of hours: the department action answers 480 and the call log says out-of-hours', async () => {
    const w = make({ agents: [{ id: 'alice' }], department: { businessHours: [] } });
    const inbound = await w.call();
    expect(inbound.final).toMatchObject({ status: 480, reason: 'Out Of Hours' });
    const ended = w.log.find((e) => e.type === 'call.ended');
    expect(ended?.payload.outcome).toBe('out-of-hours');
    expect(w.uac.invites).toHaveLength(0);
  });
});

describe('a call through call control', () => {
  it('queues with 180, rings the agent with caller ID, bridges on answer, ends on agent BYE', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const inbound = await w.call();
    await flush();
    expect(inbound.responses).toEqual([{ status: 180, reason: 'Ringing' }]);
    const inv = w.uac.invites[0];
    expect(inv?.request.uri).toBe('sip:alice-1@192.0.2.11:5062');
    expect(inv?.request.proxy).toBe('sip:192.0.2.11:5062;transport=udp');
    expect(inv?.request.headers.From).toBe('"+4917012345 Sales" <sip:+4917012345@localhost>');
    expect(inv?.request.localSdp).toBe('v=0 caller');
    inv?.ringing();
    w.clock.advance(4000);
    const agentDialog = inv?.answer(undefined);
    await flush();
    expect(inbound.answered?.sdp).toBe('v=0 agent');
    const session = w.cc.sessions.get('call-1');
    expect(session?.state).toBe('connected');
    // A live dialog carries it: closing orphaned calls must leave it alone.
    expect(w.cc.carries('call-1')).toBe(true);
    expect(w.cc.carries('call-2')).toBe(false);
    w.clock.advance(60_000);
    agentDialog?.peerBye();
    await flush();
    expect(inbound.answered?.dialog.byes).toBe(1);
    expect(w.cc.sessions.size).toBe(0);
    await w.cc.settled();
    expect(w.cc.carries('call-1')).toBe(false);
    expect(w.types()).toEqual([
      'call.queued',
      'agent.ringing',
      'agent.state',
      'call.answered',
      'agent.state',
      'call.ended',
      'agent.state',
    ]);
    expect(w.logTypes()).toEqual([
      'call.arrived',
      'call.queued',
      'call.routed',
      'call.ringing',
      'call.answered',
      'call.ended',
    ]);
    // The answer closes the attempt in the store's projection (no separate attempt.ended).
    const answered = w.log.find((e) => e.type === 'call.answered');
    expect(answered?.payload).toMatchObject({
      device: 'sip:alice-1@192.0.2.11:5062',
      ringMs: 4000,
    });
    const ended = w.log.find((e) => e.type === 'call.ended');
    expect(ended?.payload).toMatchObject({ outcome: 'answered', talkMs: 60_000 });
    // The routing explanation lives in the call log (the API reads it there), not in memory.
    const routed = w.log.find((e) => e.type === 'call.routed');
    expect(routed?.payload).toMatchObject({ explanation: { chosen: ['alice'] } });
  });

  it('rolls over to the next agent after the ring timeout', async () => {
    const w = make({ agents: [{ id: 'alice' }, { id: 'bob' }] });
    await w.call();
    await flush();
    expect(w.uac.invites.map((i) => i.request.uri)).toEqual(['sip:alice-1@192.0.2.11:5062']);
    w.uac.invites[0]?.ringing();
    w.clock.advance(15_000);
    await flush();
    expect(w.uac.invites[0]?.cancels).toBe(1);
    expect(w.uac.invites.map((i) => i.request.uri)).toEqual([
      'sip:alice-1@192.0.2.11:5062',
      'sip:bob-1@192.0.2.11:5062',
    ]);
    w.uac.invites[0]?.fail(487);
    await flush();
    const first = w.log.find((e) => e.type === 'attempt.ended');
    expect(first?.payload).toMatchObject({ result: 'no-answer', ringMs: 15_000 });
  });

  it('a busy agent is skipped at once', async () => {
    const w = make({ agents: [{ id: 'alice' }, { id: 'bob' }] });
    await w.call();
    await flush();
    w.uac.invites[0]?.fail(486);
    await flush();
    expect(w.uac.invites[1]?.request.uri).toContain('bob');
    expect(w.log.find((e) => e.type === 'attempt.ended')?.payload.result).toBe('busy');
  });

  it('ring-all: both agents ring, the second answers, the first is cancelled', async () => {
    const w = make({
      agents: [{ id: 'alice' }, { id: 'bob' }],
      department: { strategy: 'ring-all' },
    });
    const inbound = await w.call();
    await flush();
    expect(w.uac.invites).toHaveLength(2);
    w.uac.invites[1]?.answer();
    await flush();
    expect(w.uac.invites[0]?.cancels).toBe(1);
    expect(inbound.answered).not.toBeNull();
  });

  it('both answer at once: the first 2xx wins, the other is ACKed and BYEd', async () => {
    const w = make({
      agents: [{ id: 'alice' }, { id: 'bob' }],
      department: { strategy: 'ring-all' },
    });
    const inbound = await w.call();
    await flush();
    const a = w.uac.invites[0]?.answer();
    const b = w.uac.invites[1]?.answer();
    await flush();
    expect(inbound.answered?.sdp).toBe(a?.remoteSdp);
    expect(a?.byes).toBe(0);
    expect(b?.byes).toBe(1);
  });

  it('fork to softphone and mobile: the mobile answers and the softphone is cancelled', async () => {
    const w = make({ agents: [{ id: 'alice', forwarding: 'both', mobileNumber: '+4917099' }] });
    const inbound = await w.call();
    await flush();
    expect(w.uac.invites.map((i) => i.request.uri)).toEqual([
      'sip:alice-1@192.0.2.11:5062',
      'sip:+4917099@trunk.example:5060',
    ]);
    w.uac.invites[1]?.answer();
    await flush();
    expect(w.uac.invites[0]?.cancels).toBe(1);
    expect(inbound.answered).not.toBeNull();
  });

  it('caller hangs up while an agent rings: the ring is cancelled and the call is abandoned', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const inbound = await w.call();
    await flush();
    w.uac.invites[0]?.ringing();
    inbound.cancel();
    await flush();
    expect(w.uac.invites[0]?.cancels).toBe(1);
    expect(w.types()).toContain('call.abandoned');
    expect(w.log.find((e) => e.type === 'call.ended')?.payload.outcome).toBe('abandoned');
    expect(w.log.find((e) => e.type === 'attempt.ended')?.payload.result).toBe('cancelled');
    // The caller's INVITE was answered 487 by the SIP server: we send nothing more.
    expect(inbound.final).toBeUndefined();
  });

  it('caller hangs up while queued (nobody free): the call leaves the queue', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const first = await w.call();
    await flush();
    w.uac.invites[0]?.answer();
    await flush();
    expect(first.answered).not.toBeNull();
    const second = await w.call();
    await flush();
    expect(w.uac.invites).toHaveLength(1);
    second.cancel();
    await flush();
    expect(w.cc.sessions.has('call-2')).toBe(false);
    expect(w.engine.snapshot().departments[0]?.waiting).toHaveLength(0);
  });

  it('caller cancels just as the agent answers: the agent leg is BYEd', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const inbound = await w.call();
    await flush();
    inbound.holdAnswer();
    const agent = w.uac.invites[0]?.answer();
    await flush();
    inbound.cancel();
    inbound.releaseAnswer();
    await flush();
    expect(agent?.byes).toBe(1);
    expect(w.cc.sessions.size).toBe(0);
  });

  it('caller hangs up first when connected: the agent gets BYE', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const inbound = await w.call();
    await flush();
    const agent = w.uac.invites[0]?.answer();
    await flush();
    inbound.answered?.dialog.peerBye();
    await flush();
    expect(agent?.byes).toBe(1);
  });

  it('arms one wake-up timer for the engine at a time', async () => {
    const w = make({ agents: [{ id: 'alice' }], department: { maxWaitS: 60 } });
    await w.call();
    await w.call();
    await flush();
    // The engine's wake-up is the only timer: it also owns the ring deadline of the one attempt.
    expect(w.cc.driver.wakeAt).not.toBeNull();
    expect(w.clock.pending).toBe(1);
  });
});

/** A fault stand-in: the engine learns of a call that call control never held. */
function injectGhostCall(w: ReturnType<typeof world>): void {
  w.engine.handle({
    type: 'callArrived',
    at: w.clock.now(),
    callId: 'ghost',
    departmentId: 'sales',
    caller: '+4930999',
  });
}

describe('reconcile', () => {
  it('ends a call the engine holds without a live call behind it, freeing its agent, and reports it', async () => {
    const w = make({ agents: [{ id: 'alice' }] });
    const talking = await w.call();
    await flush();
    w.uac.invites[0]?.answer();
    await flush();
    expect(talking.answered).not.toBeNull();
    expect(w.cc.reconcile()).toEqual([]);
    injectGhostCall(w);
    expect(w.engine.heldCallIds().sort()).toEqual(['call-1', 'ghost']);
    const fixes = w.cc.reconcile();
    expect(fixes.map((f) => f.callId)).toEqual(['ghost']);
    expect(w.engine.heldCallIds()).toEqual(['call-1']);
    expect(w.types().filter((t) => t === 'reconcile.fixed')).toHaveLength(1);
    // The live call is left alone.
    expect(w.cc.sessions.get('call-1')?.state).toBe('connected');
  });

  it('runs every reconcileEveryMs until close', async () => {
    const w = make({ agents: [{ id: 'alice' }], reconcileEveryMs: 60_000 });
    injectGhostCall(w);
    w.clock.advance(59_000);
    expect(w.engine.heldCallIds()).toEqual(['ghost']);
    w.clock.advance(1_000);
    await flush();
    expect(w.engine.heldCallIds()).toEqual([]);
    expect(w.types().filter((t) => t === 'reconcile.fixed')).toHaveLength(1);
    // close() (afterEach) cancels the next run: no timer is left.
  });
});

describe('losing the SIP server connection', () => {
  it('ends every call at once, logs it and frees the agents', async () => {
    const w = make({ agents: [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }] });
    const talking = await w.call();
    await flush();
    w.uac.invites[0]?.answer();
    await flush();
    expect(talking.answered).not.toBeNull();
    await w.call(); // rings bob
    await flush();
    w.uac.invites[1]?.ringing();
    w.cc.connectionLost();
    await w.cc.settled();
    expect(w.cc.sessions.size).toBe(0);
    expect(w.cc.attempts.size).toBe(0);
    const ended = w.log.filter((e) => e.type === 'call.ended').map((e) => e.payload.outcome);
    expect(ended.sort()).toEqual(['abandoned', 'answered']);
    const agents = w.engine.snapshot().agents;
    expect(agents.map((a) => a.state)).toEqual(['available', 'available', 'available']);
    // Nothing was sent on the dead connection.
    expect(talking.answered?.dialog.byes).toBe(0);
    expect(w.uac.invites[1]?.cancels).toBe(0);
  });
});
