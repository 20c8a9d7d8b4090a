/**
 * A generated day of calls (seeded, so every run logs the same events) and
 * the department figures recomputed by SQL straight over `event_log`,
 * without the projections the reports read: the two must agree.
 */
import type { Db, LogEventInput, Store } from '../../src/store/index.ts';

export interface GeneratedDay {
  from: Date;
  to: Date;
  calls: number;
  departments: string[];
}

/** mulberry32: a small seeded generator. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_START = Date.parse('2026-04-07T00:00:00Z');

/** Three departments (service levels 15, 20 and 30 s) and four agents for a generated log. */
export async function generatedStaff(
  store: Store,
  names: { department: (i: number) => string; agent: (n: number) => string; wrapUpStepS: number },
): Promise<{ departments: string[]; agents: string[] }> {
  const departments: string[] = [];
  for (const [i, sl] of [15, 20, 30].entries()) {
    const d = await store.departments.create({
      name: names.department(i),
      serviceLevelS: sl,
      wrapUpS: i * names.wrapUpStepS,
    });
    departments.push(d.id);
  }
  const agents: string[] = [];
  for (const n of [1, 2, 3, 4]) {
    const name = names.agent(n);
    agents.push((await store.agents.create({ name, sipUsername: name })).id);
  }
  return { departments, agents };
}

/** The events of one generated call, `ms` after its arrival at `t0`. */
export function callEvents(callId: string, t0: number) {
  const at = (ms: number) => new Date(t0 + ms);
  return {
    arrived: (departmentId: string | null, caller: string): LogEventInput => ({
      type: 'call.arrived',
      callId,
      at: at(0),
      departmentId,
      payload: { caller, dialledNumber: '+4930999' },
    }),
    queued: (departmentId: string, ms: number): LogEventInput => ({
      type: 'call.queued',
      callId,
      at: at(ms),
      departmentId,
    }),
    ringing: (agentId: string, attemptId: string, ms: number): LogEventInput => ({
      type: 'call.ringing',
      callId,
      agentId,
      at: at(ms),
      payload: { attemptId, device: 'sip:d@h' },
    }),
    missed: (
      attemptId: string,
      ms: number,
      result: 'no-answer' | 'busy' | 'declined',
    ): LogEventInput => ({
      type: 'attempt.ended',
      callId,
      at: at(ms),
      payload: { attemptId, result },
    }),
    /** Rung from `ringMs` (before `answerMs`), answered at `answerMs`. */
    answered: (
      agentId: string,
      attemptId: string,
      ringMs: number,
      answerMs: number,
    ): LogEventInput[] => [
      {
        type: 'call.ringing',
        callId,
        agentId,
        at: at(Math.min(ringMs, answerMs - 1)),
        payload: { attemptId, device: 'sip:d@h' },
      },
      {
        type: 'call.answered',
        callId,
        agentId,
        at: at(answerMs),
        payload: { attemptId },
      },
    ],
    ended: (ms: number, outcome: string): LogEventInput => ({
      type: 'call.ended',
      callId,
      at: at(ms),
      payload: { outcome },
    }),
  };
}

/** Outcomes of calls that end unanswered (abandoned twice as often). */
export const UNANSWERED = ['abandoned', 'abandoned', 'no-agent', 'out-of-hours', 'failed'] as const;

export async function generatedDay(store: Store, seed: number, count = 240): Promise<GeneratedDay> {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const { departments, agents } = await generatedStaff(store, {
    department: (i) => `Gen ${i}`,
    agent: (n) => `g${n}`,
    wrapUpStepS: 5,
  });
  const events: LogEventInput[] = [];
  for (let n = 0; n < count; n++) {
    const id = `g${n}`;
    // Millisecond times, so that rounding is exercised too.
    const call = callEvents(id, DAY_START + Math.floor(random() * 86_390_000));
    const dept = random() < 0.08 ? null : pick(departments);
    events.push(call.arrived(dept, `+49301${n}`));
    if (dept === null) {
      events.push(call.ended(900, 'rejected'));
      continue;
    }
    events.push(call.queued(dept, 10));
    const r = random();
    const wait = 1000 + Math.floor(random() * 60_000);
    let clock = 20;
    // Missed rings before the outcome.
    const misses = Math.floor(random() * 3);
    for (let m = 0; m < misses && clock + 3000 < wait; m++) {
      const attempt = `${id}-m${m}`;
      events.push(call.ringing(pick(agents), attempt, clock));
      events.push(call.missed(attempt, clock + 2000, pick(['no-answer', 'busy', 'declined'])));
      clock += 2500;
    }
    if (r < 0.55) {
      events.push(...call.answered(pick(agents), `${id}-a`, clock, wait));
      if (random() < 0.95) {
        const talk = 5000 + Math.floor(random() * 400_000);
        events.push(call.ended(wait + talk, 'answered'));
      }
      continue;
    }
    if (r < 0.97) {
      const outcome = pick(UNANSWERED);
      // Sometimes the caller leaves while an agent rings (the ring is cancelled).
      if (outcome === 'abandoned' && random() < 0.5) {
        events.push(call.ringing(pick(agents), `${id}-c`, Math.min(clock, wait - 1)));
      }
      // Short abandons too: a few under 5 s.
      const end =
        outcome === 'abandoned' && random() < 0.3 ? 500 + Math.floor(random() * 4000) : wait;
      events.push(call.ended(Math.max(end, clock + 1), outcome));
    }
    // else: still waiting (live).
  }
  // Arrival order, as call control would log them.
  events.sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0));
  for (let i = 0; i < events.length; i += 500) {
    await store.callLog.appendMany(events.slice(i, i + 500));
  }
  return {
    from: new Date(DAY_START),
    to: new Date(DAY_START + 86_400_000),
    calls: count,
    departments,
  };
}

const round3 = (v: unknown) =>
  v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000;

/** Department figures from `event_log` alone (short-abandon threshold 5 s). */
export async function eventLogFigures(db: Db, range: { from: Date; to: Date }) {
  const { rows } = await db.query<Record<string, unknown>>(
    `WITH arr AS (
       SELECT call_id, at AS arrived_at FROM event_log
       WHERE type = 'call.arrived' AND at >= $1 AND at < $2),
     dept AS (
       SELECT DISTINCT ON (call_id) call_id, department_id FROM event_log
       WHERE type IN ('call.arrived', 'call.queued') ORDER BY call_id, id DESC),
     ans AS (SELECT call_id, at AS answered_at FROM event_log WHERE type = 'call.answered'),
     en AS (SELECT call_id, at AS ended_at, payload ->> 'outcome' AS outcome FROM event_log
            WHERE type = 'call.ended'),
     c AS (
       SELECT arr.call_id, dept.department_id, ans.answered_at, en.outcome,
         extract(epoch FROM coalesce(ans.answered_at, en.ended_at) - arr.arrived_at) AS wait_s,
         extract(epoch FROM en.ended_at - ans.answered_at) AS talk_s
       FROM arr JOIN dept USING (call_id) LEFT JOIN ans USING (call_id) LEFT JOIN en USING (call_id)),
     rings AS (
       SELECT r.call_id, count(*) AS missed_rings
       FROM event_log r JOIN event_log e ON e.type = 'attempt.ended'
         AND e.payload ->> 'attemptId' = r.payload ->> 'attemptId'
       WHERE r.type = 'call.ringing'
         AND e.payload ->> 'result' IN ('no-answer', 'busy', 'declined', 'unreachable', 'failed')
       GROUP BY r.call_id)
     SELECT c.department_id,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome IS NULL OR outcome NOT IN ('out-of-hours', 'rejected')) AS offered,
       count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
       count(*) FILTER (WHERE answered_at IS NULL AND outcome IS NOT NULL
         AND outcome NOT IN ('out-of-hours', 'rejected')) AS missed,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s < 5) AS short_abandoned,
       count(*) FILTER (WHERE answered_at IS NOT NULL AND wait_s <= d.service_level_s) AS within_sl,
       avg(wait_s) FILTER (WHERE answered_at IS NOT NULL) AS asa_s,
       coalesce(sum(talk_s), 0) AS talk_s,
       max(wait_s) AS longest_wait_s,
       coalesce(sum(r.missed_rings), 0) AS missed_rings
     FROM c LEFT JOIN departments d ON d.id = c.department_id
       LEFT JOIN rings r ON r.call_id = c.call_id
     GROUP BY c.department_id`,
    [range.from, range.to],
  );
  return new Map(
    rows.map((r) => [
      (r.department_id as string | null) ?? null,
      {
        calls: Number(r.calls),
        offered: Number(r.offered),
        answered: Number(r.answered),
        missed: Number(r.missed),
        abandoned: Number(r.abandoned),
        shortAbandoned: Number(r.short_abandoned),
        answeredWithinSl: Number(r.within_sl),
        asaS: round3(r.asa_s),
        talkS: round3(r.talk_s) ?? 0,
        longestWaitS: round3(r.longest_wait_s),
        missedRings: Number(r.missed_rings),
      },
    ]),
  );
}
