/**
 * The call figures every report shares (per department, per interval): their
 * definitions and the mapping of the row report-parts.ts's sums give. Calls
 * count by arrival time:
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
import { CALL_OUTCOMES, type CallLogOutcome } from './call-vocabulary.ts';
import { ConstraintError } from './errors.ts';
import type { ReportSource } from './report-parts.ts';

export interface ReportRange {
  from: Date;
  to: Date;
  /** Default 'rollups'; 'raw' reads every call (the reference the rollups are tested against). */
  source?: ReportSource;
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
