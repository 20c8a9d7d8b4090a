/**
 * The call figures every report shares (per department, per interval), as one
 * SQL select list over `calls c LEFT JOIN departments d` and the mapping of
 * its row. Definitions, calls counted by arrival time:
 *
 * - calls: every call that arrived; live: not ended yet;
 * - offered: calls that reached a queue (every call but out-of-hours and
 *   rejected ones, live calls included);
 * - answered: calls an agent answered (ended or still talking); the
 *   `outcomes` count ended calls only;
 * - missed: ended calls that reached a queue and were never answered
 *   (abandoned, overflowed, no-agent, failed);
 * - shortAbandoned: abandoned after waiting less than the short-abandon
 *   threshold (callers who hung up at once; they count against nobody);
 * - answeredWithinSl: answered within the department's `service_level_s`;
 * - serviceLevel: answeredWithinSl / (answered + missed - shortAbandoned), 0-1;
 * - asaS: mean wait of answered calls (average speed of answer);
 * - ahtS: mean handle time of answered, ended calls: talk + the department's
 *   wrap-up time (the log has no wrap-up events; the configured time is used);
 * - talkS: total talk time; longestWaitS: the longest wait of any ended or
 *   answered call.
 */
import {
  CALL_OUTCOMES,
  type CallLogOutcome,
  sqlList,
  UNQUEUED_OUTCOMES,
} from './call-vocabulary.ts';
import { ConstraintError } from './errors.ts';

export interface ReportRange {
  from: Date;
  to: Date;
}

export interface CallFigures {
  calls: number;
  live: number;
  offered: number;
  answered: number;
  missed: number;
  abandoned: number;
  shortAbandoned: number;
  answeredWithinSl: number;
  /** 0-1, or null when nothing counts towards it. */
  serviceLevel: number | null;
  asaS: number | null;
  avgTalkS: number | null;
  ahtS: number | null;
  talkS: number;
  talkMinutes: number;
  longestWaitS: number | null;
  outcomes: Record<CallLogOutcome, number>;
}

/** Seconds: an abandon after less than this is a short abandon (default). */
export const DEFAULT_SHORT_ABANDON_S = 5;

/**
 * The select list; `$short` is the placeholder of the short-abandon threshold
 * (a number parameter). Needs `c` (calls) and `d` (departments, may be NULL).
 */
export function figuresSelect(short: string): string {
  const outcomes = CALL_OUTCOMES.map(
    (o, i) => `count(*) FILTER (WHERE c.outcome = '${o}')::int AS o${i}`,
  ).join(',\n  ');
  return `count(c.id)::int AS calls,
  count(c.id) FILTER (WHERE c.ended_at IS NULL)::int AS live,
  count(c.id) FILTER (WHERE c.outcome IS NULL
    OR c.outcome NOT IN (${sqlList(UNQUEUED_OUTCOMES)}))::int AS offered,
  count(*) FILTER (WHERE c.answered_at IS NULL
    AND c.outcome NOT IN (${sqlList(['answered', ...UNQUEUED_OUTCOMES])}))::int AS missed,
  count(*) FILTER (WHERE c.outcome = 'abandoned' AND c.wait_s < ${short})::int AS short_abandoned,
  count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.wait_s <= d.service_level_s)::int
    AS within_sl,
  count(*) FILTER (WHERE c.answered_at IS NOT NULL)::int AS answered_any,
  avg(c.wait_s) FILTER (WHERE c.answered_at IS NOT NULL) AS asa_s,
  avg(c.talk_s) AS avg_talk_s,
  avg(c.talk_s + coalesce(d.wrap_up_s, 0)) AS aht_s,
  coalesce(sum(c.talk_s), 0) AS talk_s,
  max(c.wait_s) AS longest_wait_s,
  ${outcomes}`;
}

const num = (v: unknown): number => Number(v ?? 0);
/** Rounded to the millisecond: both drivers then give the same figure. */
export const round3 = (v: number): number => Math.round(v * 1000) / 1000;
export const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : round3(Number(v));

export function figuresFrom(r: Record<string, unknown>): CallFigures {
  const outcomes = Object.fromEntries(CALL_OUTCOMES.map((o, i) => [o, num(r[`o${i}`])])) as Record<
    CallLogOutcome,
    number
  >;
  const answered = num(r.answered_any);
  const missed = num(r.missed);
  const shortAbandoned = num(r.short_abandoned);
  const withinSl = num(r.within_sl);
  const base = answered + missed - shortAbandoned;
  const talkS = numOrNull(r.talk_s) ?? 0;
  return {
    calls: num(r.calls),
    live: num(r.live),
    offered: num(r.offered),
    answered,
    missed,
    abandoned: outcomes.abandoned,
    shortAbandoned,
    answeredWithinSl: withinSl,
    serviceLevel: base > 0 ? round3(withinSl / base) : null,
    asaS: numOrNull(r.asa_s),
    avgTalkS: numOrNull(r.avg_talk_s),
    ahtS: numOrNull(r.aht_s),
    talkS,
    talkMinutes: Math.round((talkS / 60) * 10) / 10,
    longestWaitS: numOrNull(r.longest_wait_s),
    outcomes,
  };
}

export function checkRange(range: ReportRange): void {
  if (!(range.from instanceof Date) || Number.isNaN(range.from.getTime())) {
    throw new ConstraintError('from', 'must be a time');
  }
  if (!(range.to instanceof Date) || Number.isNaN(range.to.getTime())) {
    throw new ConstraintError('to', 'must be a time');
  }
  if (range.to.getTime() <= range.from.getTime()) {
    throw new ConstraintError('to', 'must be after from');
  }
}

export function shortAbandonOf(q: { shortAbandonS?: number }): number {
  const s = q.shortAbandonS ?? DEFAULT_SHORT_ABANDON_S;
  if (!Number.isFinite(s) || s < 0) throw new ConstraintError('shortAbandonS', 'must be >= 0');
  return s;
}
