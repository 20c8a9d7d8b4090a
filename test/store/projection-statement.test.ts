/**
 * On Postgres and PGlite: the projections are written once per INSERT
 * statement, kind by kind. Events recorded in one statement project as the
 * same events appended one by one, and one statement holding several moments
 * of a call is checked as strictly as the same events one by one.
 */
import { expect, test } from 'vitest';
import {
  type Call,
  ConstraintError,
  type LogEventInput,
  NotFoundError,
  type Store,
} from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';
import { answered, missed } from './log-events.ts';

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

/** Calls in every state, their ids prefixed with `p`: ended after a rollover, answered and live, ringing, just arrived. */
function history(ids: { support: string; sales: string; ann: string }, p: string): LogEventInput[] {
  return [
    { ...arrived(`${p}done`, 0), departmentId: ids.support },
    { type: 'call.routed', callId: `${p}done`, at: at(1), payload: { explanation: { n: 1 } } },
    ringing(`${p}done`, `${p}done-1`, ids.ann, 1),
    missed(`${p}done`, `${p}done-1`, at(6), 'no-answer'),
    { type: 'call.queued', callId: `${p}done`, departmentId: ids.sales, at: at(7), payload: {} },
    { type: 'call.routed', callId: `${p}done`, at: at(7), payload: { explanation: { n: 2 } } },
    ringing(`${p}done`, `${p}done-2`, ids.ann, 7),
    { type: 'call.answered', callId: `${p}done`, agentId: ids.ann, at: at(9), payload: {} },
    { type: 'attempt.ended', at: at(9), payload: { attemptId: `${p}done-2`, result: 'answered' } },
    ended(`${p}done`, 70),
    arrived(`${p}talking`, 10),
    ringing(`${p}talking`, `${p}talking-1`, ids.ann, 11),
    answered(`${p}talking`, `${p}talking-1`, ids.ann, at(12)),
    arrived(`${p}ringing`, 20),
    {
      type: 'call.queued',
      callId: `${p}ringing`,
      departmentId: ids.support,
      at: at(20),
      payload: {},
    },
    ringing(`${p}ringing`, `${p}ringing-1`, ids.ann, 21),
    arrived(`${p}new`, 30),
    { type: 'call.announced', callId: `${p}new`, at: at(31), payload: { prompt: 'welcome' } },
  ];
}

eachBackend('projection by statement: one statement or one per event', (ctx) => {
  test('events recorded in one statement project as the same events appended one by one, and keep projecting', async () => {
    const { store } = ctx();
    const ids = await fixtures(store);
    const ann = ids.ann.id;
    const plain = { support: ids.support.id, sales: ids.sales.id, ann };
    const singly = history(plain, 'one-');
    for (const e of singly) await store.callLog.append(e);
    await store.callLog.record(history(plain, 'batch-'));

    const names = ['done', 'talking', 'ringing', 'new'];
    const read = (p: string) => Promise.all(names.map((n) => store.callLog.getCall(`${p}${n}`)));
    const one = await read('one-');
    expect(one.map((c) => c?.routing)).toEqual([{ n: 2 }, null, null, null]);
    // The batch's events follow the single ones: same calls, ids shifted by the history's length.
    const toBatch = (id: string) => id.replace('one-', 'batch-');
    const asBatch = (c: Call): Call => ({
      ...c,
      id: toBatch(c.id),
      lastEventId: c.lastEventId + singly.length,
    });
    expect(await read('batch-')).toEqual(
      one.map(
        (c) =>
          c && {
            ...asBatch(c),
            attempts: c.attempts.map((a) => ({
              ...a,
              id: toBatch(a.id),
              callId: toBatch(a.callId),
            })),
          },
      ),
    );
    const live = await store.callLog.liveCalls();
    expect(live.filter((c) => c.id.startsWith('batch-'))).toEqual(
      live.filter((c) => c.id.startsWith('one-')).map(asBatch),
    );
    const page = await store.callLog.listCalls({});
    expect(page.items.find((c) => c.id === 'one-done')).toEqual({
      ...one[0],
      attempts: undefined,
      voicemailId: undefined,
    });

    await store.callLog.record([
      { type: 'call.answered', callId: 'one-ringing', agentId: ann, at: at(25), payload: {} },
      ended('one-talking', 80),
    ]);
    const [lastOfTalking] = (await store.callLog.listEvents({ callId: 'one-talking' })).slice(-1);
    expect(await store.callLog.getCall('one-talking')).toMatchObject({
      outcome: 'answered',
      talkS: 68,
      lastEventId: lastOfTalking?.id,
    });
    expect(await store.callLog.getCall('one-ringing')).toMatchObject({ agentId: ann, waitS: 5 });
  });
});

eachBackend('projection by statement: one statement, several moments', (ctx) => {
  test('a whole call in one statement projects as its events one by one would', async () => {
    const { store } = ctx();
    const { ann } = await fixtures(store);
    await store.callLog.record([
      arrived('c1', 0),
      ringing('c1', 'c1-a', ann.id, 1),
      missed('c1', 'c1-a', at(4), 'busy'),
      ringing('c1', 'c1-b', ann.id, 5),
      answered('c1', 'c1-b', ann.id, at(8)),
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
        'payload.outcome must be one of answered, abandoned, overflowed, out-of-hours, no-agent, rejected, failed, callback-failed for call.ended',
    });
  });
});
