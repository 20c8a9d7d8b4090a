/**
 * Reports per department, per agent and per time interval, computed in SQL
 * from the projections of the append-only event log (`calls`,
 * `call_attempts`, `agent_status_history`), the same rows the call list and
 * its CSV read, so a report never disagrees with the calls behind it: whole
 * quarter hours, days and months are read from their rollups (sums of those
 * rows: sql/0014), the rest from the rows (report-parts.ts). Writes only mark
 * the quarter hours they touch; a report first recomputes the marked ones, in
 * the transaction it reads in (sql/0015, `withCurrentRollups`), and
 * `catchUp()` does it in the background. The call figures and their definitions are in
 * report-figures.ts; intervals in report-intervals.ts.
 *
 * Per agent (rings by start time in [from, to), calls by arrival time):
 * - rings: offered to the agent; ringsAnswered; missedRings: rings that ended
 *   neither answered nor cancelled (no answer, busy, declined, unreachable,
 *   failed; a cancelled ring ended because the caller left or someone else
 *   answered);
 * - answered, talkS, ahtS (talk + the department's wrap-up), avgRingS (ring
 *   time of answered rings);
 * - staffedS: time in a status other than offline (from the status history,
 *   cut to [from, min(to, now))); occupancy = (talk + wrap-up) / staffed.
 */
import type { Db, SqlParam } from './db.ts';
import {
  type CallFigures,
  checkRange,
  DEFAULT_SHORT_ABANDON_S,
  figuresFrom,
  numOrNull,
  type ReportRange,
  round3,
  shortAbandonOf,
} from './report-figures.ts';
import {
  type AgentPartsFilter,
  agentFiguresSum,
  agentParts,
  catchUpRollups,
  callFiguresSum,
  callParts,
  readsRollups,
  withCurrentRollups,
} from './report-parts.ts';
import { type IntervalReport, type IntervalQuery, intervalReport } from './report-intervals.ts';
import { isUuid } from './sql-helpers.ts';

export interface DepartmentReport extends CallFigures {
  /** null collects calls that never reached a department (e.g. an unknown number). */
  departmentId: string | null;
  /** The department's current name (null once deleted). */
  name: string | null;
  serviceLevelS: number | null;
  /** Rings of these calls that ended neither answered nor cancelled. */
  missedRings: number;
}

export interface AgentReport {
  agentId: string;
  name: string | null;
  rings: number;
  ringsAnswered: number;
  missedRings: number;
  avgRingS: number | null;
  answered: number;
  talkS: number;
  talkMinutes: number;
  avgTalkS: number | null;
  ahtS: number | null;
  staffedS: number;
  /** 0-1 (may exceed 1 for agents taking several calls at once), null without staffed time. */
  occupancy: number | null;
}

export interface DepartmentReportQuery extends ReportRange {
  departmentId?: string;
  shortAbandonS?: number;
}

export interface AgentReportQuery extends ReportRange {
  agentId?: string;
  departmentId?: string;
}

export interface ReportsRepo {
  departments(q: DepartmentReportQuery): Promise<DepartmentReport[]>;
  /** Ordered by answered calls, then talk time (a ranking). */
  agents(q: AgentReportQuery): Promise<AgentReport[]>;
  intervals(q: IntervalQuery): Promise<IntervalReport>;
  /**
   * Each department's figures for calls that arrived since the last midnight
   * in the department's own time zone (the wallboard's "today").
   */
  today(): Promise<Map<string, CallFigures>>;
  /**
   * Recomputes the rollups' dirty quarter hours, if any (the background
   * pass); returns how many marks it took.
   */
  catchUp(): Promise<number>;
}

export type { ReportRange } from './report-figures.ts';
export type {
  IntervalQuery,
  IntervalReport,
  IntervalRow,
  IntervalUnit,
} from './report-intervals.ts';

const num = (v: unknown): number => Number(v ?? 0);

export function reportsRepo(db: Db): ReportsRepo {
  return {
    async departments(q) {
      checkRange(q);
      const short = shortAbandonOf(q);
      const rolled = readsRollups(q, short);
      const params: SqlParam[] = [q.from, q.to, short, rolled];
      let department: string | undefined;
      if (q.departmentId !== undefined) {
        if (!isUuid(q.departmentId)) return [];
        params.push(q.departmentId);
        department = '$5::uuid';
      }
      const { rows } = await withCurrentRollups(db, rolled, (tx) =>
        tx.query<Record<string, unknown>>(
          `WITH pieces AS (SELECT NULL::int AS grp, * FROM report_pieces($1, $2, $4)),
         parts AS (${callParts({ department, shortAbandon: '$3' })}),
         figures AS (
           SELECT nullif(x.dkey, report_no_department()) AS department_id, ${callFiguresSum()}
           FROM parts x GROUP BY x.dkey HAVING sum(x.calls) > 0)
         SELECT f.*, d.name, d.service_level_s
         FROM figures f LEFT JOIN departments d ON d.id = f.department_id
         ORDER BY d.name NULLS LAST, f.department_id NULLS LAST`,
          params,
        ),
      );
      return rows.map((r) => ({
        departmentId: (r.department_id as string | null) ?? null,
        name: (r.name as string | null) ?? null,
        serviceLevelS: r.service_level_s === null ? null : num(r.service_level_s),
        missedRings: num(r.missed_rings),
        ...figuresFrom(r),
      }));
    },

    async agents(q) {
      checkRange(q);
      const rolled = q.source !== 'raw';
      const params: SqlParam[] = [q.from, q.to, rolled];
      const filter: AgentPartsFilter = {};
      let statusFilter = '';
      if (q.agentId !== undefined) {
        if (!isUuid(q.agentId)) return [];
        params.push(q.agentId);
        filter.agent = `$${params.length}::uuid`;
        statusFilter = ` AND h.agent_id = $${params.length}::uuid`;
      }
      if (q.departmentId !== undefined) {
        if (!isUuid(q.departmentId)) return [];
        params.push(q.departmentId);
        filter.department = `$${params.length}::uuid`;
      }
      const { rows } = await withCurrentRollups(db, rolled, (tx) =>
        tx.query<Record<string, unknown>>(
          `WITH pieces AS (SELECT NULL::int AS grp, * FROM report_pieces($1, $2, $3)),
         parts AS (${agentParts(filter)}),
         figures AS (
           SELECT x.agent_id, ${agentFiguresSum()}
           FROM parts x GROUP BY x.agent_id HAVING sum(x.rings) > 0 OR sum(x.answered) > 0),
         spans AS (
           SELECT h.agent_id, h.to_status, h.at,
             lead(h.at) OVER (PARTITION BY h.agent_id ORDER BY h.at, h.id) AS next_at
           FROM agent_status_history h
           WHERE h.agent_id IN (SELECT agent_id FROM figures) ${statusFilter}),
         staffed AS (
           SELECT agent_id, sum(extract(epoch FROM
               least(coalesce(next_at, least(now(), $2)), $2) - greatest(at, $1))) AS staffed_s
           FROM spans
           WHERE to_status <> 'offline' AND at < $2 AND coalesce(next_at, now()) > $1
           GROUP BY agent_id)
         SELECT f.*, ag.name, s.staffed_s
         FROM figures f
           LEFT JOIN staffed s ON s.agent_id = f.agent_id
           LEFT JOIN agents ag ON ag.id = f.agent_id
         ORDER BY f.answered DESC, f.talk_s DESC, ag.name, 1`,
          params,
        ),
      );
      return rows.map((r) => {
        const talkS = numOrNull(r.talk_s) ?? 0;
        const staffedS = Math.max(0, numOrNull(r.staffed_s) ?? 0);
        const handleS = num(r.handle_s);
        return {
          agentId: String(r.agent_id),
          name: (r.name as string | null) ?? null,
          rings: num(r.rings),
          ringsAnswered: num(r.rings_answered),
          missedRings: num(r.missed_rings),
          avgRingS: numOrNull(r.avg_ring_s),
          answered: num(r.answered),
          talkS,
          talkMinutes: Math.round((talkS / 60) * 10) / 10,
          avgTalkS: numOrNull(r.avg_talk_s),
          ahtS: numOrNull(r.aht_s),
          staffedS,
          occupancy: staffedS > 0 ? round3(handleS / staffedS) : null,
        };
      });
    },

    intervals: (q) => intervalReport(db, q),

    async today() {
      // Per department from its local midnight: the whole quarter hours from
      // the rollups (today's current one included, as current as the log).
      const { rows } = await withCurrentRollups(db, true, (tx) =>
        tx.query<Record<string, unknown>>(
          `WITH days AS (
           SELECT d.id,
             date_trunc('day', now() AT TIME ZONE d.time_zone) AT TIME ZONE d.time_zone AS midnight,
             (date_trunc('day', now() AT TIME ZONE d.time_zone) + interval '1 day')
               AT TIME ZONE d.time_zone AS next_midnight
           FROM departments d),
         pieces AS (
           SELECT days.id AS grp, p.* FROM days
             CROSS JOIN LATERAL report_pieces(days.midnight, days.next_midnight, true) p),
         parts AS (${callParts({ department: 'p.grp', shortAbandon: '$1' })})
         SELECT days.id AS department_id, f.*
         FROM days LEFT JOIN (
           SELECT x.grp, ${callFiguresSum()} FROM parts x GROUP BY x.grp) f ON f.grp = days.id`,
          [DEFAULT_SHORT_ABANDON_S],
        ),
      );
      return new Map(rows.map((r) => [String(r.department_id), figuresFrom(r)]));
    },

    catchUp: () => catchUpRollups(db),
  };
}
