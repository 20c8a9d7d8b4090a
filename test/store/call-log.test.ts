/**
 * The call log on Postgres and PGlite: events in, projections out, in one
 * transaction; the log refuses changes; queries filter and paginate.
 */
import { expect, test } from 'vitest';
import {
  type Call,
  type CallLogOutcome,
  ConflictError,
  ConstraintError,
  type LogEventInput,
  NotFoundError,
  type Store,
} from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';
import { answered, missed } from './log-events.ts';

const T0 = Date.parse('2026-01-05T10:00:00Z');
/** T0 plus `s` seconds. */
const at = (s: number) => new Date(T0 + s * 1000);

async function fixtures(store: Store) {
  const support = await store.departments.create({ name: 'Support' });
  const sales = await store.departments.create({ name: 'Sales' });
  const ann = await store.agents.create({ name: 'Ann', sipUsername: 'ann' });
  const bob = await store.agents.create({ name: 'Bob', sipUsername: 'bob' });
  return { support, sales, ann, bob };
}

function arrived(
  callId: string,
  s: number,
  departmentId: string,
  caller = '+4930111',
): LogEventInput {
  return {
    type: 'call.arrived',
    callId,
    at: at(s),
    departmentId,
    payload: { caller, dialledNumber: '+4930999' },
  };
}

/** Logs a whole call: arrival, optional answer by `agentId`, end with `outcome`. */
async function logCall(
  store: Store,
  o: {
    id: string;
    s: number;
    departmentId: string;
    caller?: string;
    agentId?: string;
    outcome: CallLogOutcome;
  },
): Promise<void> {
  const events: LogEventInput[] = [arrived(o.id, o.s, o.departmentId, o.caller)];
  if (o.agentId) {
    events.push({
      type: 'call.ringing',
      callId: o.id,
      agentId: o.agentId,
      at: at(o.s + 2),
      payload: { attemptId: `${o.id}-a`, device: 'sip:x@h' },
    });
    events.push(answered(o.id, `${o.id}-a`, o.agentId, at(o.s + 5)));
  }
  events.push({
    type: 'call.ended',
    callId: o.id,
    at: at(o.s + 60),
    payload: { outcome: o.outcome },
  });
  await store.callLog.appendMany(events);
}

eachBackend('call log projections', (ctx) => {
  test('a call with a rollover projects into one call row and two attempt rows', async () => {
    const { store } = ctx();
    const { support, ann, bob } = await fixtures(store);
    const log = store.callLog;
    await log.append(arrived('c1', 0, support.id));
    await log.append({ type: 'call.queued', callId: 'c1', departmentId: support.id, at: at(0.5) });
    await log.append({
      type: 'call.routed',
      callId: 'c1',
      at: at(1),
      payload: { explanation: { strategy: 'priority', picked: ann.id } },
    });
    await log.append({
      type: 'call.ringing',
      callId: 'c1',
      agentId: ann.id,
      at: at(1),
      payload: { attemptId: 'c1-1', device: 'sip:ann@10.0.0.1' },
    });
    expect((await log.liveCalls()).map((c) => c.id)).toEqual(['c1']);
    await log.append({
      type: 'attempt.ended',
      callId: 'c1',
      agentId: ann.id,
      at: at(21),
      payload: { attemptId: 'c1-1', result: 'no-answer' },
    });
    await log.append({
      type: 'call.ringing',
      callId: 'c1',
      agentId: bob.id,
      at: at(21),
      payload: { attemptId: 'c1-2', device: '+491701234567' },
    });
    await log.append(answered('c1', 'c1-2', bob.id, at(24.5)));
    const ended = await log.append({
      type: 'call.ended',
      callId: 'c1',
      at: at(144.5),
      payload: { outcome: 'answered' },
    });

    const call = await log.getCall('c1');
    expect(call).toMatchObject({
      id: 'c1',
      caller: '+4930111',
      dialledNumber: '+4930999',
      departmentId: support.id,
      arrivedAt: at(0),
      answeredAt: at(24.5),
      endedAt: at(144.5),
      agentId: bob.id,
      outcome: 'answered',
      waitS: 24.5,
      talkS: 120,
      routing: { strategy: 'priority', picked: ann.id },
      lastEventId: ended.id,
    });
    expect(call?.attempts).toEqual([
      {
        id: 'c1-1',
        callId: 'c1',
        agentId: ann.id,
        device: 'sip:ann@10.0.0.1',
        startedAt: at(1),
        endedAt: at(21),
        result: 'no-answer',
        ringS: 20,
      },
      {
        id: 'c1-2',
        callId: 'c1',
        agentId: bob.id,
        device: '+491701234567',
        startedAt: at(21),
        endedAt: at(24.5),
        result: 'answered',
        ringS: 3.5,
      },
    ]);
    expect(await log.liveCalls()).toEqual([]);
    const events = await log.listEvents({ callId: 'c1' });
    expect(events.map((e) => e.type)).toEqual([
      'call.arrived',
      'call.queued',
      'call.routed',
      'call.ringing',
      'attempt.ended',
      'call.ringing',
      'call.answered',
      'call.ended',
    ]);
    expect(events[0]).toMatchObject({
      at: at(0),
      departmentId: support.id,
      payload: { caller: '+4930111' },
    });
  });

  test('an unanswered call ends with its wait time, no talk time, and its open ring cancelled', async () => {
    const { store } = ctx();
    const { support, ann } = await fixtures(store);
    await store.callLog.appendMany([
      arrived('c2', 0, support.id),
      {
        type: 'call.ringing',
        callId: 'c2',
        agentId: ann.id,
        at: at(3),
        payload: { attemptId: 'c2-1', device: 'sip:ann@h' },
      },
      { type: 'call.ended', callId: 'c2', at: at(10), payload: { outcome: 'abandoned' } },
    ]);
    const call = await store.callLog.getCall('c2');
    expect(call).toMatchObject({
      outcome: 'abandoned',
      waitS: 10,
      talkS: null,
      answeredAt: null,
      agentId: null,
    });
    expect(call?.attempts[0]).toMatchObject({ result: 'cancelled', endedAt: at(10), ringS: 7 });
  });

  test('an event whose projection fails is not logged either (same transaction)', async () => {
    const { store } = ctx();
    const { support, ann } = await fixtures(store);
    await store.callLog.append(arrived('c3', 0, support.id));
    const before = await store.callLog.listEvents();
    await expect(
      store.callLog.append({ type: 'call.answered', callId: 'nope', agentId: ann.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.callLog.append(arrived('c3', 1, support.id))).rejects.toBeInstanceOf(
      ConflictError,
    );
    const missing = store.callLog.append({
      type: 'call.ended',
      callId: 'c3',
      payload: { outcome: 'vanished' },
    });
    await expect(missing).rejects.toMatchObject({ field: 'payload.outcome' });
    await expect(
      store.callLog.append({
        type: 'call.ringing',
        callId: 'c3',
        agentId: ann.id,
        payload: { device: 'x' },
      }),
    ).rejects.toMatchObject({ field: 'payload.attemptId' });
    await expect(store.callLog.append({ type: 'Bad Type' })).rejects.toMatchObject({
      field: 'type',
    });
    expect(await store.callLog.listEvents()).toEqual(before);
    expect((await store.callLog.getCall('c3'))?.arrivedAt).toEqual(at(0));
  });

  test('appendMany is all or nothing', async () => {
    const { store } = ctx();
    const { support } = await fixtures(store);
    await expect(
      store.callLog.appendMany([
        arrived('c4', 0, support.id),
        { type: 'call.ended', callId: 'c4', at: at(5), payload: { outcome: 'abandoned' } },
        { type: 'call.ended', callId: 'c4', at: at(6), payload: { outcome: 'abandoned' } },
      ]),
    ).rejects.toBeInstanceOf(ConstraintError);
    expect(await store.callLog.getCall('c4')).toBeNull();
    expect(await store.callLog.listEvents()).toEqual([]);
  });

  test('record appends and projects like appendMany, all or nothing, reading nothing back', async () => {
    const { store } = ctx();
    const { support, ann } = await fixtures(store);
    const call = [
      arrived('r1', 0, support.id),
      { type: 'call.answered', callId: 'r1', agentId: ann.id, at: at(3) },
      { type: 'call.ended', callId: 'r1', at: at(9), payload: { outcome: 'answered' } },
    ] satisfies LogEventInput[];
    expect(await store.callLog.record(call)).toBeUndefined();
    const logged = await store.callLog.getCall('r1');
    expect(logged).toMatchObject({ outcome: 'answered', waitS: 3, talkS: 6 });
    expect((await store.callLog.listEvents()).map((e) => e.type)).toEqual(call.map((e) => e.type));
    await expect(
      store.callLog.record([
        arrived('r2', 10, support.id),
        { type: 'call.ended', callId: 'r1', at: at(11), payload: { outcome: 'abandoned' } },
      ]),
    ).rejects.toBeInstanceOf(ConstraintError);
    expect(await store.callLog.getCall('r2')).toBeNull();
  });

  test('a call cannot be answered twice, nor after it ended', async () => {
    const { store } = ctx();
    const { support, ann, bob } = await fixtures(store);
    await store.callLog.append(arrived('c5', 0, support.id));
    await store.callLog.append({ type: 'call.answered', callId: 'c5', agentId: ann.id, at: at(2) });
    const again = store.callLog.append({
      type: 'call.answered',
      callId: 'c5',
      agentId: bob.id,
      at: at(3),
    });
    await expect(again).rejects.toBeInstanceOf(ConstraintError);
    expect((await store.callLog.getCall('c5'))?.agentId).toBe(ann.id);
  });

  test('other event types are logged as they are, without projection', async () => {
    const { store } = ctx();
    const { support } = await fixtures(store);
    await store.callLog.append(arrived('c6', 0, support.id));
    const e = await store.callLog.append({
      type: 'call.announced',
      callId: 'c6',
      at: at(1),
      payload: { prompt: 'position', position: 2 },
    });
    expect(e).toMatchObject({
      type: 'call.announced',
      callId: 'c6',
      payload: { prompt: 'position', position: 2 },
    });
    expect(typeof e.id).toBe('number');
    expect((await store.callLog.listEvents({ afterId: e.id - 1 })).map((x) => x.type)).toEqual([
      'call.announced',
    ]);
    expect(await store.callLog.listEvents({ type: 'call.arrived', limit: 5 })).toHaveLength(1);
  });
});

eachBackend('the event log is append-only', (ctx) => {
  test('UPDATE, DELETE and TRUNCATE of the event log are refused by the database', async () => {
    const { store, db } = ctx();
    const { support } = await fixtures(store);
    await store.callLog.append(arrived('c1', 0, support.id));
    const before = await store.callLog.listEvents();
    for (const sql of [
      `UPDATE event_log SET type = 'call.faked'`,
      'DELETE FROM event_log',
      'TRUNCATE event_log CASCADE',
    ]) {
      const err = await db.query(sql).catch((e: unknown) => e);
      expect(err, sql).toBeInstanceOf(ConstraintError);
      expect((err as ConstraintError).field).toBe('eventLog');
    }
    // Also inside a transaction, and the connection stays usable afterwards.
    await expect(db.transaction((tx) => tx.query('DELETE FROM event_log'))).rejects.toBeInstanceOf(
      ConstraintError,
    );
    expect(await store.callLog.listEvents()).toEqual(before);
  });
});

eachBackend('call queries', (ctx) => {
  async function seed(store: Store) {
    const f = await fixtures(store);
    // 12 calls, one per minute; a mix of departments, agents, outcomes, callers.
    for (let i = 0; i < 12; i++) {
      const answered = i % 3 !== 0;
      await logCall(store, {
        id: `call-${String(i).padStart(2, '0')}`,
        s: i * 60,
        departmentId: i % 2 === 0 ? f.support.id : f.sales.id,
        caller: i % 4 === 0 ? '+4930444' : '+4930111',
        agentId: answered ? (i % 2 === 0 ? f.ann.id : f.bob.id) : undefined,
        outcome: answered ? 'answered' : 'abandoned',
      });
    }
    await store.callLog.append(arrived('live-1', 12 * 60, f.support.id));
    return f;
  }

  const ids = (calls: Call[]) => calls.map((c) => c.id);

  test('filters: time range, department, agent, outcome, caller, live', async () => {
    const { store } = ctx();
    const f = await seed(store);
    const q = store.callLog;
    expect(ids((await q.listCalls({ from: at(120), to: at(300) })).items)).toEqual([
      'call-04',
      'call-03',
      'call-02',
    ]);
    expect(ids((await q.listCalls({ departmentId: f.sales.id })).items)).toEqual([
      'call-11',
      'call-09',
      'call-07',
      'call-05',
      'call-03',
      'call-01',
    ]);
    expect(ids((await q.listCalls({ agentId: f.ann.id })).items)).toEqual([
      'call-10',
      'call-08',
      'call-04',
      'call-02',
    ]);
    expect(ids((await q.listCalls({ outcome: 'abandoned' })).items)).toEqual([
      'call-09',
      'call-06',
      'call-03',
      'call-00',
    ]);
    expect(ids((await q.listCalls({ caller: '+4930444', outcome: 'answered' })).items)).toEqual([
      'call-08',
      'call-04',
    ]);
    expect(ids((await q.listCalls({ outcome: 'live' })).items)).toEqual(['live-1']);
    expect((await q.listCalls({ departmentId: 'not-a-uuid' })).items).toEqual([]);
    const answered = (await q.listCalls({ agentId: f.bob.id })).items;
    expect(answered.every((c) => c.waitS === 5 && c.talkS === 55)).toBe(true);
  });

  test('cursor pagination visits every call once, newest first, even while calls arrive', async () => {
    const { store } = ctx();
    const f = await seed(store);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.callLog.listCalls({ limit: 5, cursor });
      seen.push(...ids(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
      // A new call arriving between pages does not shift later pages.
      if (pages === 1) await store.callLog.append(arrived('newer', 3600, f.support.id));
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([
      'live-1',
      ...Array.from({ length: 12 }, (_, i) => `call-${String(11 - i).padStart(2, '0')}`),
    ]);
    await expect(store.callLog.listCalls({ cursor: 'garbage' })).rejects.toMatchObject({
      field: 'cursor',
    });
    await expect(store.callLog.listCalls({ limit: 0 })).rejects.toMatchObject({ field: 'limit' });
  });

  test('calls arriving in the same instant still paginate without loss (ties broken by id)', async () => {
    const { store } = ctx();
    const { support } = await fixtures(store);
    for (const id of ['t-a', 't-b', 't-c', 't-d', 't-e'])
      await store.callLog.append(arrived(id, 0, support.id));
    const first = await store.callLog.listCalls({ limit: 2 });
    const second = await store.callLog.listCalls({ limit: 2, cursor: first.nextCursor ?? '' });
    const third = await store.callLog.listCalls({ limit: 2, cursor: second.nextCursor ?? '' });
    expect([...first.items, ...second.items, ...third.items].map((c) => c.id)).toEqual([
      't-e',
      't-d',
      't-c',
      't-b',
      't-a',
    ]);
    expect(third.nextCursor).toBeNull();
  });

  test('attempts filter by agent, call, result and time, and paginate', async () => {
    const { store } = ctx();
    const f = await seed(store);
    const q = store.callLog;
    const ann = await q.listAttempts({ agentId: f.ann.id });
    expect(ann.items.map((a) => a.callId)).toEqual(['call-10', 'call-08', 'call-04', 'call-02']);
    expect(ann.items.every((a) => a.result === 'answered' && a.ringS === 3)).toBe(true);
    expect((await q.listAttempts({ callId: 'call-05' })).items).toHaveLength(1);
    expect((await q.listAttempts({ result: 'no-answer' })).items).toEqual([]);
    expect((await q.listAttempts({ from: at(0), to: at(130) })).items.map((a) => a.callId)).toEqual(
      ['call-02', 'call-01'],
    );
    const p1 = await q.listAttempts({ limit: 5 });
    const p2 = await q.listAttempts({ limit: 5, cursor: p1.nextCursor ?? '' });
    expect(p1.items.length + p2.items.length).toBe(8);
    expect(p2.nextCursor).toBeNull();
  });
});

eachBackend('agent status', (ctx) => {
  test('a status change updates the agent, logs an event and a history row together', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    const until = at(900);
    const { agent, change } = await store.agentStatus.set(ann.id, {
      status: 'break',
      until,
      reason: 'lunch',
      source: 'agent',
      at: at(0),
    });
    expect(agent).toMatchObject({ status: 'break', statusUntil: until, statusReason: 'lunch' });
    expect(change).toMatchObject({
      agentId: ann.id,
      fromStatus: 'offline',
      toStatus: 'break',
      until,
      reason: 'lunch',
      source: 'agent',
      at: at(0),
    });
    const events = await store.callLog.listEvents({ agentId: ann.id });
    expect(events.map((e) => [e.id, e.type])).toEqual([[change.id, 'agent.status']]);
    await store.agentStatus.set(ann.id, { status: 'available', source: 'admin', at: at(60) });
    expect(
      (await store.agentStatus.history(ann.id)).map((h) => [h.fromStatus, h.toStatus]),
    ).toEqual([
      ['break', 'available'],
      ['offline', 'break'],
    ]);
    expect(await store.agentStatus.history(ann.id, { from: at(30) })).toHaveLength(1);
  });

  test('an agent who may not change their own status is refused; an admin may; nothing is half-written', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    await store.agents.update(ann.id, { mayChangeOwnStatus: false });
    await expect(
      store.agentStatus.set(ann.id, { status: 'available', source: 'agent' }),
    ).rejects.toMatchObject({ field: 'status' });
    expect((await store.agents.get(ann.id))?.status).toBe('offline');
    expect(await store.agentStatus.history(ann.id)).toEqual([]);
    expect(
      (await store.agentStatus.set(ann.id, { status: 'available', source: 'admin' })).agent.status,
    ).toBe('available');
    // 'available' with an end time violates a CHECK: the event is rolled back with the row.
    await expect(
      store.agentStatus.set(ann.id, { status: 'available', until: at(5), source: 'admin' }),
    ).rejects.toMatchObject({ field: 'statusUntil' });
    expect(await store.agentStatus.history(ann.id)).toHaveLength(1);
    await expect(
      store.agentStatus.set('00000000-0000-4000-8000-000000000000', {
        status: 'away',
        source: 'admin',
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  test('breaks that are over end by themselves (endExpiredBreaks)', async () => {
    const { store } = ctx();
    const { ann, bob } = await fixtures(store);
    await store.agentStatus.set(ann.id, {
      status: 'break',
      until: at(300),
      source: 'agent',
      at: at(0),
    });
    await store.agentStatus.set(bob.id, {
      status: 'break',
      until: at(900),
      source: 'agent',
      at: at(0),
    });
    const ended = await store.agentStatus.endExpiredBreaks(at(600));
    expect(ended.map((c) => [c.agentId, c.toStatus, c.source])).toEqual([
      [ann.id, 'available', 'system'],
    ]);
    expect((await store.agents.get(ann.id))?.status).toBe('available');
    expect((await store.agents.get(bob.id))?.status).toBe('break');
    expect(await store.agentStatus.endExpiredBreaks(at(600))).toEqual([]);
  });
});

eachBackend('large batches', (ctx) => {
  test('appendMany splits a batch larger than one statement takes, keeping order and atomicity', async () => {
    const { store } = ctx();
    const { support } = await fixtures(store);
    const events: LogEventInput[] = [];
    for (let i = 0; i < 1200; i++) events.push(arrived(`bulk-${i}`, i, support.id));
    const logged = await store.callLog.appendMany(events);
    expect(logged.map((e) => e.callId)).toEqual(events.map((e) => e.callId));
    expect((await store.callLog.listCalls({ limit: 1000 })).items).toHaveLength(1000);
    // A failure in the second chunk undoes the first one too.
    const more: LogEventInput[] = [];
    for (let i = 0; i < 1100; i++) more.push(arrived(`more-${i}`, 5000 + i, support.id));
    more.push(arrived('bulk-0', 9999, support.id));
    await expect(store.callLog.appendMany(more)).rejects.toBeInstanceOf(ConflictError);
    expect(await store.callLog.getCall('more-0')).toBeNull();
  });
});

eachBackend('reports', (ctx) => {
  test('department and agent figures are computed from the logged calls and rings', async () => {
    const { store } = ctx();
    const { support, sales, ann, bob } = await fixtures(store);
    const ring = (
      callId: string,
      attemptId: string,
      agentId: string,
      s: number,
    ): LogEventInput => ({
      type: 'call.ringing',
      callId,
      agentId,
      at: at(s),
      payload: { attemptId, device: 'sip:x@h' },
    });
    const end = (callId: string, s: number, outcome: CallLogOutcome): LogEventInput => ({
      type: 'call.ended',
      callId,
      at: at(s),
      payload: { outcome },
    });
    await store.callLog.appendMany([
      // r1: Ann does not answer, Bob answers after 25 s of waiting, talks 60 s.
      arrived('r1', 0, support.id),
      ring('r1', 'r1-1', ann.id, 2),
      missed('r1', 'r1-1', at(22), 'no-answer'),
      ring('r1', 'r1-2', bob.id, 22),
      answered('r1', 'r1-2', bob.id, at(25)),
      end('r1', 85, 'answered'),
      // r2: Ann answers within the service level (5 s), talks 30 s.
      arrived('r2', 100, support.id),
      ring('r2', 'r2-1', ann.id, 101),
      answered('r2', 'r2-1', ann.id, at(105)),
      end('r2', 135, 'answered'),
      // r3: the caller gives up after 40 s while Ann rings.
      arrived('r3', 200, support.id),
      ring('r3', 'r3-1', ann.id, 201),
      end('r3', 240, 'abandoned'),
      // r4: out of hours (not a missed call); r5: Sales, nobody logged in; r6: still waiting.
      arrived('r4', 300, support.id),
      end('r4', 301, 'out-of-hours'),
      arrived('r5', 400, sales.id),
      end('r5', 402, 'no-agent'),
      arrived('r6', 500, support.id),
      // Outside the range.
      arrived('r7', 5000, support.id),
    ]);
    const range = { from: at(0), to: at(1000) };
    const departments = await store.reports.departments(range);
    const bySupport = departments.find((d) => d.departmentId === support.id);
    expect(bySupport).toMatchObject({
      departmentId: support.id,
      calls: 5,
      live: 1,
      outcomes: {
        answered: 2,
        abandoned: 1,
        overflowed: 0,
        'out-of-hours': 1,
        'no-agent': 0,
        rejected: 0,
        failed: 0,
      },
      answered: 2,
      missed: 1,
      serviceLevelS: 20,
      serviceLevel: 0.333,
      asaS: 15,
      avgTalkS: 45,
      talkS: 90,
      longestWaitS: 40,
    });
    expect(departments.find((d) => d.departmentId === sales.id)).toMatchObject({
      calls: 1,
      missed: 1,
      answered: 0,
      serviceLevel: 0,
      asaS: null,
      talkS: 0,
      longestWaitS: 2,
    });
    expect(await store.reports.departments({ ...range, departmentId: sales.id })).toHaveLength(1);

    const agents = await store.reports.agents(range);
    expect(agents.find((a) => a.agentId === ann.id)).toMatchObject({
      agentId: ann.id,
      rings: 3,
      ringsAnswered: 1,
      answered: 1,
      missedRings: 1,
      avgRingS: 4,
      talkS: 30,
      avgTalkS: 30,
    });
    expect(await store.reports.agents({ ...range, agentId: bob.id })).toMatchObject([
      {
        agentId: bob.id,
        rings: 1,
        ringsAnswered: 1,
        answered: 1,
        missedRings: 0,
        avgRingS: 3,
        talkS: 60,
        avgTalkS: 60,
      },
    ]);
    await expect(store.reports.departments({ from: at(10), to: at(0) })).rejects.toMatchObject({
      field: 'to',
    });
  });
});
