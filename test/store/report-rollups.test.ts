/**
 * The rollups (sql/0014) against the calls read one by one: on random call
 * logs written in many small appends (calls moving between departments,
 * missed and cancelled rings, calls still waiting or talking), every report
 * read through the rollups equals the same report read from the calls
 * (`source: 'raw'`), for ranges on and off quarter-hour, day and month
 * boundaries, in zones with daylight saving, offsets of 30 and 45 minutes,
 * and a local mean time that is no multiple of 15 minutes. A changed service
 * level or a deleted department leaves them equal too. Each write adds its
 * own figures (sql/0016), so reports are exact with no flush; the changes
 * that cannot be added up (a call moved after its rings, a new service
 * level) mark quarter hours, and the flush makes those exact.
 */
import { expect, test } from 'vitest';
import { CALL_OUTCOMES } from '../../src/store/call-vocabulary.ts';
import type { Db, LogEventInput, Store } from '../../src/store/index.ts';
import type { IntervalUnit } from '../../src/store/reports.ts';
import { eachBackend } from './backends.ts';
import { callEvents, generatedStaff, seeded, UNANSWERED } from './report-fixtures.ts';

interface Generated {
  departments: string[];
  agents: string[];
}

/** `count` calls arriving at random milliseconds in [start, start + spanMs). */
async function generate(
  store: Store,
  seed: number,
  start: number,
  spanMs: number,
  count: number,
  options: { catchUp: boolean } = { catchUp: true },
): Promise<Generated> {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const { departments, agents } = await generatedStaff(store, {
    department: (i) => `R${seed} ${i}`,
    agent: (n) => `r${seed}a${n}`,
    wrapUpStepS: 7,
  });
  const events: LogEventInput[] = [];
  for (let n = 0; n < count; n++) {
    const id = `r${seed}-${n}`;
    const call = callEvents(id, start + Math.floor(random() * spanMs));
    const first = random() < 0.08 ? null : pick(departments);
    events.push(call.arrived(first, `+4930${n}`));
    if (first === null) {
      events.push(call.ended(700, 'rejected'));
      continue;
    }
    events.push(call.queued(first, 5));
    const wait = 800 + Math.floor(random() * 70_000);
    let clock = 20;
    for (let m = 0; m < Math.floor(random() * 3) && clock + 3000 < wait; m++) {
      const attempt = `${id}-m${m}`;
      events.push(call.ringing(pick(agents), attempt, clock));
      events.push(
        call.missed(
          attempt,
          clock + 1500 + Math.floor(random() * 900),
          pick(['no-answer', 'busy', 'declined'] as const),
        ),
      );
      clock += 2500;
    }
    // Some calls move to another department (a transfer), rings and all.
    if (random() < 0.15) {
      events.push(call.queued(pick(departments), clock));
      clock += 10;
    }
    const r = random();
    if (r < 0.55) {
      events.push(...call.answered(pick(agents), `${id}-a`, clock, wait));
      if (random() < 0.9) {
        events.push(call.ended(wait + 3000 + Math.floor(random() * 500_000), 'answered'));
      }
    } else if (r < 0.95) {
      const outcome = pick(UNANSWERED);
      if (outcome === 'abandoned' && random() < 0.5) {
        events.push(call.ringing(pick(agents), `${id}-c`, Math.min(clock, wait - 1)));
      }
      const end =
        outcome === 'abandoned' && random() < 0.3 ? 300 + Math.floor(random() * 9000) : wait;
      events.push(call.ended(Math.max(end, clock + 1), outcome));
    }
    // else: still waiting.
  }
  events.sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0));
  // Small appends, as call control writes them, with a background pass now
  // and then: a pass between a call's writes leaves later writes (a call
  // moving to another department with its rings) to mark what they change.
  for (let i = 0; i < events.length; ) {
    const size = 1 + Math.floor(random() * 60);
    await store.callLog.appendMany(events.slice(i, i + size));
    i += size;
    if (options.catchUp && random() < 0.3) await store.reports.catchUp();
  }
  return { departments, agents };
}

const at = (iso: string) => new Date(iso);

/** Reports through the rollups equal the same reports over the calls. */
async function expectSame(
  store: Store,
  ranges: { from: Date; to: Date }[],
  gen: Generated,
  zones: string[],
  units: IntervalUnit[],
) {
  for (const range of ranges) {
    const label = `${range.from.toISOString()} .. ${range.to.toISOString()}`;
    const raw = { ...range, source: 'raw' as const };
    expect(await store.reports.departments(range), label).toEqual(
      await store.reports.departments(raw),
    );
    const one = { departmentId: gen.departments[1] as string };
    expect(await store.reports.departments({ ...range, ...one }), label).toEqual(
      await store.reports.departments({ ...raw, ...one }),
    );
    expect(await store.reports.agents(range), label).toEqual(await store.reports.agents(raw));
    expect(await store.reports.agents({ ...range, ...one }), label).toEqual(
      await store.reports.agents({ ...raw, ...one }),
    );
    for (const timeZone of zones) {
      for (const unit of units) {
        const what = `${label} ${unit} ${timeZone}`;
        const rolled = await store.reports.intervals({ ...range, unit, timeZone });
        expect(rolled.intervals.length, what).toBeGreaterThan(0);
        expect(rolled, what).toEqual(await store.reports.intervals({ ...raw, unit, timeZone }));
      }
    }
  }
}

/** Every call the month rollups count. */
async function rolledCalls(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT coalesce(sum(calls), 0)::int AS n FROM report_department_rollups WHERE span = 'month'`,
  );
  return Number(rows[0]?.n);
}

/** The dirty marks left by the writers (sql/0015, sql/0016). */
async function dirtyMarks(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM report_rollups_dirty_departments)
       + (SELECT count(*) FROM report_rollups_dirty_agents) AS n`,
  );
  return Number(rows[0]?.n);
}

eachBackend('report rollups', (ctx) => {
  test('every call outcome has its count in the rollups and the per-call view', async () => {
    const { db } = ctx();
    for (const table of ['report_department_rollups', 'report_call_parts']) {
      const { rows } = await db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = $1`,
        [table],
      );
      const columns = rows.map((r) => r.column_name);
      for (const o of CALL_OUTCOMES) {
        // A new outcome needs a column in a new migration, and a count in report_call_parts.
        expect(columns, table).toContain(`outcome_${o.replaceAll('-', '_')}`);
      }
    }
  });

  test('reports over rollups equal reports over the calls, on and off every boundary', async () => {
    const { store } = ctx();
    // Five days around the end of March: a month boundary and Europe's switch to summer time.
    const gen = await generate(store, 7, Date.parse('2026-03-27T20:00:00Z'), 5 * 86_400_000, 400);
    const ranges = [
      { from: at('2026-03-27T00:00:00Z'), to: at('2026-04-02T00:00:00Z') },
      { from: at('2026-03-28T07:13:21.517Z'), to: at('2026-04-01T16:52:08.004Z') },
      { from: at('2026-03-29T00:15:00Z'), to: at('2026-03-29T00:30:00Z') },
      { from: at('2026-03-29T00:15:00.001Z'), to: at('2026-03-29T00:29:59.999Z') },
      { from: at('2026-03-30T22:00:00Z'), to: at('2026-04-01T02:00:00Z') },
    ];
    await expectSame(
      store,
      ranges,
      gen,
      ['UTC', 'Europe/Berlin', 'Asia/Kathmandu', 'America/St_Johns'],
      ['15min', 'hour', 'day', 'week', 'month'],
    );
    // A short-abandon threshold of another length reads the calls, and agrees.
    const odd = { ...ranges[1]!, shortAbandonS: 7.5 };
    expect(await store.reports.departments(odd)).toEqual(
      await store.reports.departments({ ...odd, source: 'raw' }),
    );
  }, 240_000);

  test('the autumn switch (an hour twice) and a month boundary agree', async () => {
    const { store } = ctx();
    const gen = await generate(store, 8, Date.parse('2026-10-24T12:00:00Z'), 9 * 86_400_000, 300);
    await expectSame(
      store,
      [
        { from: at('2026-10-24T00:00:00Z'), to: at('2026-11-03T00:00:00Z') },
        { from: at('2026-10-25T00:07:00Z'), to: at('2026-11-01T05:00:00.5Z') },
      ],
      gen,
      ['Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe'],
      ['15min', 'hour', 'day', 'week', 'month'],
    );
  }, 240_000);

  test('a local mean time off the quarter hour reads the calls and agrees', async () => {
    const { store } = ctx();
    // Liberia kept UTC-0:44:30 until 1972.
    const gen = await generate(store, 9, Date.parse('1971-06-01T00:00:00Z'), 3 * 86_400_000, 120);
    await expectSame(
      store,
      [{ from: at('1971-05-31T00:00:00Z'), to: at('1971-06-05T00:00:00Z') }],
      gen,
      ['Africa/Monrovia'],
      ['15min', 'hour', 'day'],
    );
  }, 240_000);

  test('a changed service level and a deleted department keep the rollups exact', async () => {
    const { store } = ctx();
    const gen = await generate(store, 10, Date.parse('2026-05-04T06:00:00Z'), 2 * 86_400_000, 250);
    const range = { from: at('2026-05-01T00:00:00Z'), to: at('2026-06-01T00:00:00Z') };
    const before = await store.reports.departments(range);
    await store.departments.update(gen.departments[0] as string, { serviceLevelS: 60 });
    const after = await store.reports.departments(range);
    expect(after).toEqual(await store.reports.departments({ ...range, source: 'raw' }));
    const within = (rows: typeof before) =>
      rows.find((d) => d.departmentId === gen.departments[0])?.answeredWithinSl ?? 0;
    expect(within(after)).toBeGreaterThan(within(before));
    await store.departments.remove(gen.departments[2] as string);
    await expectSame(store, [range], gen, ['UTC'], ['day', 'month']);
  }, 240_000);

  test('each write adds its own figures: reports are exact with no flush and no mark', async () => {
    const { db, store } = ctx();
    const gen = await generate(store, 11, Date.parse('2026-07-01T09:00:00Z'), 86_400_000, 150, {
      catchUp: false,
    });
    const range = { from: at('2026-06-30T00:00:00Z'), to: at('2026-07-03T00:00:00Z') };
    // Calls moved between departments only within the append that rang them,
    // so nothing was left for a flush: the rollups already sum every call.
    expect(await dirtyMarks(db)).toBe(0);
    expect(await rolledCalls(db)).toBe(150);
    await expectSame(store, [range], gen, ['UTC', 'Asia/Kathmandu'], ['hour', 'day']);
    // A call arriving, and another ending, change the rollups at once too.
    await store.callLog.appendMany([
      {
        type: 'call.arrived',
        callId: 'late-1',
        at: at('2026-07-01T12:07:00Z'),
        departmentId: gen.departments[0] as string,
        payload: { caller: '+4930111', dialledNumber: '+4930999' },
      },
      {
        type: 'call.ended',
        callId: 'late-1',
        at: at('2026-07-01T12:08:00Z'),
        payload: { outcome: 'abandoned' },
      },
    ]);
    expect(await dirtyMarks(db)).toBe(0);
    expect(await rolledCalls(db)).toBe(151);
    await expectSame(store, [range], gen, ['UTC'], ['hour']);
  }, 240_000);

  test('a call moved after its rings is marked, and the flush makes it exact', async () => {
    const { db, store } = ctx();
    const gen = await generate(store, 12, Date.parse('2026-08-03T10:00:00Z'), 6 * 3_600_000, 80, {
      catchUp: false,
    });
    const range = { from: at('2026-08-01T00:00:00Z'), to: at('2026-09-01T00:00:00Z') };
    const [from, to] = gen.departments as [string, string];
    const call = callEvents('moved-1', Date.parse('2026-08-03T11:20:00Z'));
    await store.callLog.appendMany([
      call.arrived(from, '+4930222'),
      call.queued(from, 5),
      call.ringing(gen.agents[0] as string, 'moved-1-m0', 10),
      call.missed('moved-1-m0', 2000, 'no-answer'),
    ]);
    expect(await dirtyMarks(db)).toBe(0);
    // Its missed ring and its ring's agent row are keyed by the department the
    // call had: a later move cannot be added up, so it marks both departments'
    // quarter hours and the ring's quarter hour under both.
    await store.callLog.appendMany([call.queued(to, 3000)]);
    const marked = await dirtyMarks(db);
    expect(marked).toBe(4);
    expect(await store.reports.catchUp()).toBe(marked);
    expect(await dirtyMarks(db)).toBe(0);
    expect(await store.reports.catchUp()).toBe(0);
    expect(await rolledCalls(db)).toBe(81);
    await expectSame(store, [range], gen, ['UTC'], ['day']);
    // A changed service level marks the department's quarter hours; the pass recomputes them.
    await store.departments.update(gen.departments[1] as string, { serviceLevelS: 45 });
    expect(await dirtyMarks(db)).toBeGreaterThan(0);
    expect(await store.reports.catchUp()).toBeGreaterThan(0);
    expect(await dirtyMarks(db)).toBe(0);
    expect(await store.reports.departments(range)).toEqual(
      await store.reports.departments({ ...range, source: 'raw' }),
    );
  }, 240_000);

  test('writers, background passes and reports at once leave every report exact', async () => {
    const { store } = ctx();
    const start = Date.parse('2026-09-07T08:00:00Z');
    const range = { from: at('2026-09-07T00:00:00Z'), to: at('2026-09-09T00:00:00Z') };
    // On Postgres these run on several connections: writers share the
    // rollups' lock, each flush waits for them and they for it.
    let writing = true;
    const reading = (async () => {
      let reports = 0;
      while (writing || reports === 0) {
        await store.reports.departments(range);
        reports++;
      }
      return reports;
    })();
    const gens = await Promise.all(
      [13, 14, 15].map((seed) => generate(store, seed, start, 86_400_000, 120)),
    ).finally(() => {
      writing = false;
    });
    expect(await reading).toBeGreaterThan(0);
    for (const gen of gens) await expectSame(store, [range], gen, ['UTC'], ['hour']);
  }, 240_000);
});
