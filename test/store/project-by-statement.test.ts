/**
 * Migration 0005 on Postgres and PGlite: the projections are written once
 * per INSERT statement, kind by kind. A database written before it reads the
 * same afterwards, and one statement holding several moments of a call is
 * checked as strictly as the same events one by one.
 */
import { expect, test } from 'vitest';
import {
  ConstraintError,
  createStore,
  type LogEventInput,
  loadMigrations,
  migrate,
  NotFoundError,
  type Store,
} from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';

const T0 = Date.parse('2026-02-02T09:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

const arrived = (callId: string, s: number): LogEventInput => ({
  type: 'call.arrived',
  callId,
  at: at(s),
  payload: { caller: '+4930111', dialledNumber: '+4930999' },
});
const ringing = (callId: string, attemptId: string, agentId: string, s: number) =>
  ({
    type: 'call.ringing',
    callId,
    agentId,
    at: at(s),
    payload: { attemptId, device: 'sip:ann@192.0.2.1' },
  }) satisfies LogEventInput;
const ended = (callId: string, s: number, outcome = 'answered'): LogEventInput => ({
  type: 'call.ended',
  callId,
  at: at(s),
  payload: { outcome },
});

async function fixtures(store: Store) {
  const support = await store.departments.create({ name: 'Support' });
  const sales = await store.departments.create({ name: 'Sales' });
  const ann = await store.agents.create({ name: 'Ann', sipUsername: 'ann' });
  return { support, sales, ann };
}

/** Calls in every state: ended after a rollover, answered and live, ringing, just arrived. */
function history(ids: { support: string; sales: string; ann: string }): LogEventInput[] {
  return [
    { ...arrived('done', 0), departmentId: ids.support },
    { type: 'call.routed', callId: 'done', at: at(1), payload: { explanation: { n: 1 } } },
    ringing('done', 'done-1', ids.ann, 1),
    {
      type: 'attempt.ended',
      callId: 'done',
      at: at(6),
      payload: { attemptId: 'done-1', result: 'no-answer' },
    },
    { type: 'call.queued', callId: 'done', departmentId: ids.sales, at: at(7), payload: {} },
    { type: 'call.routed', callId: 'done', at: at(7), payload: { explanation: { n: 2 } } },
    ringing('done', 'done-2', ids.ann, 7),
    { type: 'call.answered', callId: 'done', agentId: ids.ann, at: at(9), payload: {} },
    { type: 'attempt.ended', at: at(9), payload: { attemptId: 'done-2', result: 'answered' } },
    ended('done', 70),
    arrived('talking', 10),
    ringing('talking', 'talking-1', ids.ann, 11),
    {
      type: 'call.answered',
      callId: 'talking',
      agentId: ids.ann,
      at: at(12),
      payload: { attemptId: 'talking-1' },
    },
    arrived('ringing', 20),
    { type: 'call.queued', callId: 'ringing', departmentId: ids.support, at: at(20), payload: {} },
    ringing('ringing', 'ringing-1', ids.ann, 21),
    arrived('new', 30),
    { type: 'call.announced', callId: 'new', at: at(31), payload: { prompt: 'welcome' } },
  ];
}

eachBackend(
  'projection by statement: upgrade',
  (ctx) => {
    test('every call reads the same after the upgrade, and keeps projecting', async () => {
      const { db } = ctx();
      await migrate(db, { migrations: loadMigrations().filter((m) => m.number < 5) });
      const store = createStore(db);
      const ids = await fixtures(store);
      const ann = ids.ann.id;
      // One event per statement, as the old trigger was used.
      for (const e of history({ support: ids.support.id, sales: ids.sales.id, ann })) {
        await store.callLog.append(e);
      }
      const callIds = ['done', 'talking', 'ringing', 'new'];
      const before = await Promise.all(callIds.map((id) => store.callLog.getCall(id)));
      const liveBefore = await store.callLog.liveCalls();
      expect(before.map((c) => c?.routing)).toEqual([{ n: 2 }, null, null, null]);

      // The upgrade applies 0005 first (later files, e.g. department media, after it).
      expect((await migrate(db)).applied[0]).toBe('0005_project_by_statement.sql');
      expect(await Promise.all(callIds.map((id) => store.callLog.getCall(id)))).toEqual(before);
      expect(await store.callLog.liveCalls()).toEqual(liveBefore);
      const page = await store.callLog.listCalls({});
      expect(page.items.find((c) => c.id === 'done')).toEqual({
        ...before[0],
        attempts: undefined,
      });

      await store.callLog.record([
        { type: 'call.answered', callId: 'ringing', agentId: ann, at: at(25), payload: {} },
        ended('talking', 80),
      ]);
      const [lastOfTalking] = (await store.callLog.listEvents({ callId: 'talking' })).slice(-1);
      expect(await store.callLog.getCall('talking')).toMatchObject({
        outcome: 'answered',
        talkS: 68,
        lastEventId: lastOfTalking?.id,
      });
      expect(await store.callLog.getCall('ringing')).toMatchObject({ agentId: ann, waitS: 5 });
    });
  },
  { migrate: false },
);

eachBackend('projection by statement: one statement, several moments', (ctx) => {
  test('a whole call in one statement projects as its events one by one would', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    await store.callLog.record([
      arrived('c1', 0),
      ringing('c1', 'c1-a', ann.id, 1),
      {
        type: 'attempt.ended',
        callId: 'c1',
        at: at(4),
        payload: { attemptId: 'c1-a', result: 'busy' },
      },
      ringing('c1', 'c1-b', ann.id, 5),
      {
        type: 'call.answered',
        callId: 'c1',
        agentId: ann.id,
        at: at(8),
        payload: { attemptId: 'c1-b' },
      },
      ended('c1', 20),
      arrived('c2', 2),
      ringing('c2', 'c2-a', ann.id, 3),
      ended('c2', 9, 'abandoned'),
    ]);
    const c1 = await store.callLog.getCall('c1');
    expect(c1).toMatchObject({ waitS: 8, talkS: 12, outcome: 'answered', agentId: ann.id });
    expect(c1?.attempts.map((a) => [a.id, a.result, a.ringS])).toEqual([
      ['c1-a', 'busy', 3],
      ['c1-b', 'answered', 3],
    ]);
    const c2 = await store.callLog.getCall('c2');
    expect(c2).toMatchObject({ waitS: 7, talkS: null, outcome: 'abandoned', agentId: null });
    expect(c2?.attempts.map((a) => [a.result, a.ringS])).toEqual([['cancelled', 6]]);
  });

  test('an event before its call arrives in the same statement is refused, and nothing is kept', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    const refused = store.callLog.record([ringing('c3', 'c3-a', ann.id, 0), arrived('c3', 1)]);
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
    await expect(refused).rejects.toMatchObject({ entity: 'call', id: 'c3' });
    expect(await store.callLog.listEvents()).toEqual([]);
    expect(await store.callLog.getCall('c3')).toBeNull();
  });

  test('an answer after the end in the same statement is refused', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    await expect(
      store.callLog.record([
        arrived('c4', 0),
        ended('c4', 5, 'abandoned'),
        { type: 'call.answered', callId: 'c4', agentId: ann.id, at: at(6), payload: {} },
      ]),
    ).rejects.toMatchObject({ field: 'callId', reason: 'call c4 already answered or ended' });
    expect(await store.callLog.getCall('c4')).toBeNull();
  });

  test('a second answer in one statement, and an attempt ended twice, are refused', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    const answer = (s: number): LogEventInput => ({
      type: 'call.answered',
      callId: 'c5',
      agentId: ann.id,
      at: at(s),
      payload: {},
    });
    await expect(
      store.callLog.record([arrived('c5', 0), answer(1), answer(2)]),
    ).rejects.toMatchObject({ field: 'callId', reason: 'call c5 already answered or ended' });
    const end = (s: number, result: string): LogEventInput => ({
      type: 'attempt.ended',
      callId: 'c5',
      at: at(s),
      payload: { attemptId: 'c5-a', result },
    });
    const twice = store.callLog.record([
      arrived('c5', 0),
      ringing('c5', 'c5-a', ann.id, 1),
      end(2, 'busy'),
      end(3, 'no-answer'),
    ]);
    await expect(twice).rejects.toBeInstanceOf(ConstraintError);
    await expect(twice).rejects.toMatchObject({
      field: 'attemptId',
      reason: 'attempt c5-a already ended',
    });
    await expect(store.callLog.record([arrived('c5', 0), end(2, 'busy')])).rejects.toMatchObject({
      entity: 'attempt',
      id: 'c5-a',
    });
    expect(await store.callLog.listEvents()).toEqual([]);
  });

  test('the first bad field in event order is named, whatever kind comes first', async () => {
    const { store } = ctx();
    await expect(
      store.callLog.record([
        arrived('c6', 0),
        { type: 'call.ended', callId: 'c6', at: at(3), payload: { outcome: 'vanished' } },
        { type: 'call.arrived', callId: 'c7', at: at(4), payload: { caller: '+4930111' } },
      ]),
    ).rejects.toMatchObject({
      field: 'payload.outcome',
      reason:
        'payload.outcome must be one of answered, abandoned, overflowed, out-of-hours, no-agent, rejected, failed for call.ended',
    });
  });
});
