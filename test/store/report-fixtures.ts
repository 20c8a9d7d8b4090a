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

export async function generatedDay(store: Store, seed: number, count = 240): Promise<GeneratedDay> {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const departments: string[] = [];
  for (const [i, sl] of [15, 20, 30].entries()) {
    const d = await store.departments.create({
      name: `Gen ${i}`,
      serviceLevelS: sl,
      wrapUpS: i * 5,
    });
    departments.push(d.id);
  }
  const agents: string[] = [];
  for (const name of ['g1', 'g2', 'g3', 'g4']) {
    agents.push((await store.agents.create({ name, sipUsername: name })).id);
  }
  const events: LogEventInput[] = [];
  for (let n = 0; n < count; n++) {
    const id = `g${n}`;
    // Millisecond times, so that rounding is exercised too.
    const t0 = DAY_START + Math.floor(random() * 86_390_000);
    const t = (ms: number) => new Date(t0 + ms);
    const dept = random() < 0.08 ? null : pick(departments);
    events.push({
      type: 'call.arrived',
      callId: id,
      at: t(0),
      departmentId: dept,
      payload: { caller: `+49301${n}`, dialledNumber: '+4930999' },
    });
    if (dept === null) {
      events.push({ type: 'call.ended', callId: id, at: t(900), payload: { outcome: 'rejected' } });
      continue;
    }
    events.push({ type: 'call.queued', callId: id, at: t(10), departmentId: dept });
    const r = random();
    const wait = 1000 + Math.floor(random() * 60_000);
    let clock = 20;
    // Missed rings before the outcome.
    const misses = Math.floor(random() * 3);
    for (let m = 0; m < misses && clock + 3000 < wait; m++) {
      const attempt = `${id}-m${m}`;
      events.push({
        type: 'call.ringing',
        callId: id,
        agentId: pick(agents),
        at: t(clock),
        payload: { attemptId: attempt, device: 'sip:d@h' },
      });
      events.push({
        type: 'attempt.ended',
        callId: id,
        at: t(clock + 2000),
        payload: { attemptId: attempt, result: pick(['no-answer', 'busy', 'declined'] as const) },
      });
      clock += 2500;
    }
    if (r < 0.55) {
      const agent = pick(agents);
      const attempt = `${id}-a`;
      events.push({
        type: 'call.ringing',
        callId: id,
        agentId: agent,
        at: t(Math.min(clock, wait - 1)),
        payload: { attemptId: attempt, device: 'sip:d@h' },
      });
      events.push({
        type: 'call.answered',
        callId: id,
        agentId: agent,
        at: t(wait),
        payload: { attemptId: attempt },
      });
      if (random() < 0.95) {
        const talk = 5000 + Math.floor(random() * 400_000);
        events.push({
          type: 'call.ended',
          callId: id,
          at: t(wait + talk),
          payload: { outcome: 'answered' },
        });
      }
      continue;
    }
    if (r < 0.97) {
      const outcome = pick(['abandoned', 'abandoned', 'no-agent', 'out-of-hours', 'failed']);
      // Sometimes the caller leaves while an agent rings (the ring is cancelled).
      if (outcome === 'abandoned' && random() < 0.5) {
        events.push({
          type: 'call.ringing',
          callId: id,
          agentId: pick(agents),
          at: t(Math.min(clock, wait - 1)),
          payload: { attemptId: `${id}-c`, device: 'sip:d@h' },
        });
      }
      // Short abandons too: a few under 5 s.
      const end =
        outcome === 'abandoned' && random() < 0.3 ? 500 + Math.floor(random() * 4000) : wait;
      events.push({
        type: 'call.ended',
        callId: id,
        at: t(Math.max(end, clock + 1)),
        payload: { outcome },
      });
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
