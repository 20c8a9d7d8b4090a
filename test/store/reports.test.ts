/**
 * Reports on Postgres and PGlite: every figure of a hand-computed fixture
 * (the comments give the arithmetic), and the same figures recomputed by
 * independent SQL straight over the event log for a generated day of calls.
 */
import { expect, test } from 'vitest';
import type { LogEventInput, Store } from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';
import { eventLogFigures, generatedDay, type GeneratedDay } from './report-fixtures.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const FROM = at(0);
const TO = at(7200);

interface Ids {
  support: string;
  sales: string;
  ann: string;
  bob: string;
}

function arrived(id: string, s: number, departmentId: string | null): LogEventInput {
  return {
    type: 'call.arrived',
    callId: id,
    at: at(s),
    departmentId,
    payload: { caller: '+4930111', dialledNumber: '+4930999' },
  };
}
const ring = (id: string, attempt: string, agentId: string, s: number): LogEventInput => ({
  type: 'call.ringing',
  callId: id,
  agentId,
  at: at(s),
  payload: { attemptId: attempt, device: 'sip:x@h' },
});
const ringEnded = (id: string, attempt: string, result: string, s: number): LogEventInput => ({
  type: 'attempt.ended',
  callId: id,
  at: at(s),
  payload: { attemptId: attempt, result },
});
const answered = (id: string, attempt: string, agentId: string, s: number): LogEventInput => ({
  type: 'call.answered',
  callId: id,
  agentId,
  at: at(s),
  payload: { attemptId: attempt },
});
const ended = (id: string, outcome: string, s: number): LogEventInput => ({
  type: 'call.ended',
  callId: id,
  at: at(s),
  payload: { outcome },
});
const status = (agentId: string, to: string, s: number): LogEventInput => ({
  type: 'agent.status',
  agentId,
  at: at(s),
  payload: { to, source: 'admin' },
});

/** The fixture: Support (service level 20 s, wrap-up 10 s), Sales (30 s, no wrap-up). */
async function fixture(store: Store): Promise<Ids> {
  const support = await store.departments.create({
    name: 'Support',
    serviceLevelS: 20,
    wrapUpS: 10,
  });
  const sales = await store.departments.create({ name: 'Sales', serviceLevelS: 30, wrapUpS: 0 });
  const ann = await store.agents.create({ name: 'Ann', sipUsername: 'ann' });
  const bob = await store.agents.create({ name: 'Bob', sipUsername: 'bob' });
  const S = support.id;
  const T = sales.id;
  const A = ann.id;
  const B = bob.id;
  await store.callLog.appendMany([
    // Ann staffed 08:00-10:00 (3600 s inside the range); Bob 09:30-10:30 available,
    // 10:30-10:45 away, then offline: 4500 s.
    status(A, 'available', -3600),
    status(A, 'offline', 3600),
    status(B, 'available', 1800),
    status(B, 'away', 5400),
    status(B, 'offline', 6300),
    // before the range: not counted
    arrived('x1', -10, S),
    ring('x1', 'x1a', A, -8),
    answered('x1', 'x1a', A, -5),
    ended('x1', 'answered', 100),
    // s1: Ann answers after 15 s (within 20), talks 60 s
    arrived('s1', 0, S),
    ring('s1', 's1a', A, 2),
    answered('s1', 's1a', A, 15),
    ended('s1', 'answered', 75),
    // s2: Bob does not answer, Ann answers after 30 s, talks 120 s
    arrived('s2', 600, S),
    ring('s2', 's2a', B, 602),
    ringEnded('s2', 's2a', 'no-answer', 622),
    ring('s2', 's2b', A, 623),
    answered('s2', 's2b', A, 630),
    ended('s2', 'answered', 750),
    // s3: hangs up after 3 s (short abandon)
    arrived('s3', 1200, S),
    ended('s3', 'abandoned', 1203),
    // s4: hangs up after 50 s while Bob rings (the ring becomes cancelled)
    arrived('s4', 1800, S),
    ring('s4', 's4a', B, 1801),
    ended('s4', 'abandoned', 1850),
    // s5: out of hours (2 s)
    arrived('s5', 3700, S),
    ended('s5', 'out-of-hours', 3702),
    // s6: still waiting
    arrived('s6', 3800, S),
    { type: 'call.queued', callId: 's6', at: at(3801), departmentId: S },
    // t1: Bob busy, then nobody: no-agent after 40 s
    arrived('t1', 100, T),
    ring('t1', 't1a', B, 101),
    ringEnded('t1', 't1a', 'busy', 103),
    ended('t1', 'no-agent', 140),
    // t2: Bob answers after 10 s, talks 300 s
    arrived('t2', 4000, T),
    ring('t2', 't2a', B, 4001),
    answered('t2', 't2a', B, 4010),
    ended('t2', 'answered', 4310),
    // u1: an unknown number, rejected after 1 s
    arrived('u1', 200, null),
    ended('u1', 'rejected', 201),
    // at the range's end: not counted
    arrived('x2', 7200, S),
    ended('x2', 'abandoned', 7210),
  ]);
  return { support: S, sales: T, ann: A, bob: B };
}

const noOutcomes = {
  answered: 0,
  abandoned: 0,
  overflowed: 0,
  'out-of-hours': 0,
  'no-agent': 0,
  rejected: 0,
  failed: 0,
  'callback-failed': 0,
};

eachBackend('reports', (ctx) => {
  test('department figures match the hand-computed fixture', async () => {
    const { store } = ctx();
    const ids = await fixture(store);
    const rows = await store.reports.departments({ from: FROM, to: TO });
    expect(rows).toEqual([
      {
        departmentId: ids.sales,
        name: 'Sales',
        serviceLevelS: 30,
        missedRings: 1, // t1 busy
        calls: 2,
        live: 0,
        offered: 2,
        answered: 1,
        missed: 1,
        abandoned: 0,
        shortAbandoned: 0,
        answeredWithinSl: 1, // t2: 10 s <= 30 s
        serviceLevel: 0.5, // 1 / (1 + 1 - 0)
        asaS: 10,
        avgTalkS: 300,
        ahtS: 300,
        talkS: 300,
        talkMinutes: 5,
        longestWaitS: 40,
        outcomes: { ...noOutcomes, answered: 1, 'no-agent': 1 },
      },
      {
        departmentId: ids.support,
        name: 'Support',
        serviceLevelS: 20,
        missedRings: 1, // s2 no-answer (s4's cancelled ring is no miss)
        calls: 6,
        live: 1,
        offered: 5, // all but s5 (out of hours)
        answered: 2,
        missed: 2, // s3, s4
        abandoned: 2,
        shortAbandoned: 1, // s3: 3 s < 5 s
        answeredWithinSl: 1, // s1
        serviceLevel: 0.333, // 1 / (2 + 2 - 1)
        asaS: 22.5, // (15 + 30) / 2
        avgTalkS: 90, // (60 + 120) / 2
        ahtS: 100, // 90 + 10 wrap-up
        talkS: 180,
        talkMinutes: 3,
        longestWaitS: 50,
        outcomes: { ...noOutcomes, answered: 2, abandoned: 2, 'out-of-hours': 1 },
      },
      {
        departmentId: null,
        name: null,
        serviceLevelS: null,
        missedRings: 0,
        calls: 1,
        live: 0,
        offered: 0,
        answered: 0,
        missed: 0,
        abandoned: 0,
        shortAbandoned: 0,
        answeredWithinSl: 0,
        serviceLevel: null,
        asaS: null,
        avgTalkS: null,
        ahtS: null,
        talkS: 0,
        talkMinutes: 0,
        longestWaitS: 1,
        outcomes: { ...noOutcomes, rejected: 1 },
      },
    ]);
    // A higher short-abandon threshold moves s4 (50 s) too: 1 / (2 + 2 - 2).
    const [support] = await store.reports.departments({
      from: FROM,
      to: TO,
      departmentId: ids.support,
      shortAbandonS: 60,
    });
    expect(support).toMatchObject({ shortAbandoned: 2, serviceLevel: 0.5 });
  });

  test('agent figures and ranking match the hand-computed fixture', async () => {
    const { store } = ctx();
    const ids = await fixture(store);
    expect(await store.reports.agents({ from: FROM, to: TO })).toEqual([
      {
        agentId: ids.ann,
        name: 'Ann',
        rings: 2,
        ringsAnswered: 2,
        missedRings: 0,
        avgRingS: 10, // (13 + 7) / 2
        answered: 2,
        talkS: 180,
        talkMinutes: 3,
        avgTalkS: 90,
        ahtS: 100,
        staffedS: 3600,
        occupancy: 0.056, // (60 + 10 + 120 + 10) / 3600
      },
      {
        agentId: ids.bob,
        name: 'Bob',
        rings: 4,
        ringsAnswered: 1,
        missedRings: 2, // no-answer (s2), busy (t1)
        avgRingS: 9,
        answered: 1,
        talkS: 300,
        talkMinutes: 5,
        avgTalkS: 300,
        ahtS: 300,
        staffedS: 4500,
        occupancy: 0.067, // 300 / 4500
      },
    ]);
    const onlySales = await store.reports.agents({ from: FROM, to: TO, departmentId: ids.sales });
    expect(onlySales.map((a) => [a.name, a.rings, a.answered])).toEqual([['Bob', 2, 1]]);
  });

  test('intervals list every hour, quarter and local day with the fixture figures', async () => {
    const { store } = ctx();
    await fixture(store);
    const hours = await store.reports.intervals({ from: FROM, to: TO, unit: 'hour' });
    expect(hours.intervals.map((i) => i.start.toISOString())).toEqual([
      '2026-03-02T09:00:00.000Z',
      '2026-03-02T10:00:00.000Z',
    ]);
    expect(hours.intervals[0]).toMatchObject({
      calls: 6, // s1 s2 s3 s4 t1 u1
      offered: 5,
      answered: 2,
      missed: 3, // s3 s4 t1
      shortAbandoned: 1,
      answeredWithinSl: 1,
      serviceLevel: 0.25, // 1 / (2 + 3 - 1)
      asaS: 22.5,
      ahtS: 100,
      talkS: 180,
      longestWaitS: 50,
    });
    expect(hours.intervals[1]).toMatchObject({
      calls: 3, // s5 s6 t2
      live: 1,
      offered: 2,
      answered: 1,
      missed: 0,
      serviceLevel: 1,
      asaS: 10,
      talkS: 300,
      longestWaitS: 10,
      end: new Date('2026-03-02T11:00:00Z'),
    });
    const quarters = await store.reports.intervals({ from: FROM, to: at(3600), unit: '15min' });
    expect(quarters.intervals.map((i) => i.calls)).toEqual([4, 1, 1, 0]);

    // Berlin is UTC+1 in March: local days start at 23:00 UTC, and the first
    // holds x1 and x2 too (11 calls; talk 180 + 300 + x1's 105 s).
    const days = await store.reports.intervals({
      from: new Date('2026-03-01T23:00:00Z'),
      to: new Date('2026-03-03T23:00:00Z'),
      unit: 'day',
      timeZone: 'Europe/Berlin',
    });
    expect(days.intervals.map((i) => [i.start.toISOString(), i.calls, i.talkS])).toEqual([
      ['2026-03-01T23:00:00.000Z', 11, 585],
      ['2026-03-02T23:00:00.000Z', 0, 0],
    ]);
    await expect(
      store.reports.intervals({ from: FROM, to: TO, unit: 'day', timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({ field: 'timeZone' });
  });

  test('a generated day agrees with SQL straight over the event log', async () => {
    const { store, db } = ctx();
    const day: GeneratedDay = await generatedDay(store, 11);
    const range = { from: day.from, to: day.to };
    const depts = await store.reports.departments(range);
    const fromLog = await eventLogFigures(db, range);
    expect(depts.length).toBeGreaterThan(1);
    for (const d of depts) {
      const expected = fromLog.get(d.departmentId);
      expect(expected, `department ${d.departmentId}`).toBeDefined();
      expect({
        calls: d.calls,
        offered: d.offered,
        answered: d.answered,
        missed: d.missed,
        abandoned: d.abandoned,
        shortAbandoned: d.shortAbandoned,
        answeredWithinSl: d.answeredWithinSl,
        asaS: d.asaS,
        talkS: d.talkS,
        longestWaitS: d.longestWaitS,
        missedRings: d.missedRings,
      }).toEqual(expected);
    }
    // The hours add up to the departments.
    const hours = await store.reports.intervals({ ...range, unit: 'hour' });
    expect(hours.intervals).toHaveLength(24);
    const sum = (rows: { calls: number; answered: number; talkS: number }[]) =>
      rows.reduce(
        (s, r) => ({
          calls: s.calls + r.calls,
          answered: s.answered + r.answered,
          talkS: Math.round((s.talkS + r.talkS) * 1000) / 1000,
        }),
        { calls: 0, answered: 0, talkS: 0 },
      );
    expect(sum(hours.intervals)).toEqual(sum(depts));
    expect(sum(depts).calls).toBe(day.calls);
  });
});
