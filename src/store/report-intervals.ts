/**
 * Call figures per time interval (15 minutes, hour, day, week, month) in a
 * time zone, for charts: every interval from the one holding `from` up to
 * `to` is listed, empty ones with zeros, so a chart has one point per
 * interval. Intervals are cut on the zone's local clock (a day is local
 * midnight to local midnight, weeks start on Monday); calls count by arrival
 * time in [from, to), so the first and last interval may be partial.
 * Whole quarter hours, days and months inside an interval are read from the
 * rollups (report-parts.ts).
 */
import type { Db, SqlParam } from './db.ts';
import { ConstraintError, toStoreError } from './errors.ts';
import {
  type CallFigures,
  checkRange,
  figuresFrom,
  type ReportRange,
  shortAbandonOf,
} from './report-figures.ts';
import { callFiguresSum, callParts, readsRollups, withCurrentRollups } from './report-parts.ts';
import { isUuid, toDate } from './sql-helpers.ts';

export type IntervalUnit = '15min' | 'hour' | 'day' | 'week' | 'month';
export const INTERVAL_UNITS: readonly IntervalUnit[] = ['15min', 'hour', 'day', 'week', 'month'];

export interface IntervalQuery extends ReportRange {
  unit: IntervalUnit;
  /** IANA zone, default UTC. */
  timeZone?: string;
  departmentId?: string;
  shortAbandonS?: number;
}

export interface IntervalRow extends CallFigures {
  /** Start of the interval (the zone's local boundary, as an instant). */
  start: Date;
  end: Date;
}

export interface IntervalReport {
  unit: IntervalUnit;
  timeZone: string;
  intervals: IntervalRow[];
}

/** A chart of more points than this is a mistake (15 minutes over 100 days). */
export const MAX_INTERVALS = 10_000;

const STEP: Record<IntervalUnit, { sql: string; approxMs: number }> = {
  '15min': { sql: '15 minutes', approxMs: 15 * 60_000 },
  hour: { sql: '1 hour', approxMs: 3_600_000 },
  day: { sql: '1 day', approxMs: 86_400_000 },
  week: { sql: '1 week', approxMs: 7 * 86_400_000 },
  month: { sql: '1 month', approxMs: 28 * 86_400_000 },
};

/** SQL for the local start of the interval holding local timestamp `x`. */
function bucketOf(unit: IntervalUnit, x: string): string {
  if (unit === '15min') {
    return `(date_trunc('hour', ${x}) + floor(extract(minute FROM ${x}) / 15) * interval '15 minutes')`;
  }
  return `date_trunc('${unit}', ${x})`;
}

/** Postgres: invalid_parameter_value, e.g. "time zone ... not recognized". */
const INVALID_PARAMETER = '22023';

/**
 * Labelling steps longer than this many are not worth it: such a report
 * (decades in days, weeks or months) reads the calls one by one.
 */
const MAX_LABEL_STEPS = 200_000;

export async function intervalReport(db: Db, q: IntervalQuery): Promise<IntervalReport> {
  checkRange(q);
  if (!INTERVAL_UNITS.includes(q.unit)) {
    throw new ConstraintError('unit', `must be one of ${INTERVAL_UNITS.join(', ')}`);
  }
  const step = STEP[q.unit];
  if ((q.to.getTime() - q.from.getTime()) / step.approxMs > MAX_INTERVALS) {
    throw new ConstraintError('to', `more than ${MAX_INTERVALS} intervals: choose a longer unit`);
  }
  const timeZone = q.timeZone ?? 'UTC';
  const short = shortAbandonOf(q);
  const labelStepMs = q.unit === '15min' || q.unit === 'hour' ? 900_000 : 3_600_000;
  const rolled =
    readsRollups(q, short) && (q.to.getTime() - q.from.getTime()) / labelStepMs <= MAX_LABEL_STEPS;
  const params: SqlParam[] = [q.from, q.to, timeZone, short, rolled];
  let department: string | undefined;
  if (q.departmentId !== undefined) {
    if (!isUuid(q.departmentId)) return { unit: q.unit, timeZone, intervals: [] };
    params.push(q.departmentId);
    department = '$6::uuid';
  }
  const sql = `WITH series AS (
      SELECT g AS local_start
      FROM generate_series(${bucketOf(q.unit, '($1::timestamptz AT TIME ZONE $3)')},
        ($2::timestamptz AT TIME ZONE $3) - interval '1 microsecond',
        interval '${step.sql}') g),
    pieces AS (SELECT * FROM report_interval_pieces($1, $2, $3, '${q.unit}', $5)),
    parts AS (${callParts({
      department,
      shortAbandon: '$4',
      rawGroup: `coalesce(p.grp, ${bucketOf(q.unit, '(c.arrived_at AT TIME ZONE $3)')})`,
    })}),
    figures AS (SELECT x.grp AS local_start, ${callFiguresSum()} FROM parts x GROUP BY x.grp)
    SELECT s.local_start AT TIME ZONE $3 AS start,
      (s.local_start + interval '${step.sql}') AT TIME ZONE $3 AS end, f.*
    FROM series s LEFT JOIN figures f ON f.local_start = s.local_start
    ORDER BY s.local_start`;
  let rows: Record<string, unknown>[];
  try {
    ({ rows } = await withCurrentRollups(db, rolled, (tx) =>
      tx.query<Record<string, unknown>>(sql, params),
    ));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === INVALID_PARAMETER && /time zone/i.test(String((err as Error).message))) {
      throw new ConstraintError('timeZone', 'unknown time zone');
    }
    throw toStoreError(err);
  }
  return {
    unit: q.unit,
    timeZone,
    intervals: rows.map((r) => ({
      start: toDate(r.start),
      end: toDate(r.end),
      ...figuresFrom(r),
    })),
  };
}
