/**
 * Reports per department, per agent and per time interval, computed in SQL
 * from the projections of the append-only event log (`calls`,
 * `call_attempts`, `agent_status_history`), the same rows the call list and
 * its CSV read, so a report never disagrees with the calls behind it.
 * The call figures and their definitions are in report-figures.ts; intervals
 * in report-intervals.ts.
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
  figuresSelect,
  numOrNull,
  type ReportRange,
  round3,
  shortAbandonOf,
} from './report-figures.ts';
import { type IntervalReport, type IntervalQuery, intervalReport } from './report-intervals.ts';
import { MISSED_RING_RESULTS, sqlList } from './call-vocabulary.ts';
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
}

export type { ReportRange } from './report-figures.ts';
export type {
  IntervalQuery,
  IntervalReport,
  IntervalRow,
  IntervalUnit,
} from './report-intervals.ts';

const num = (v: unknown): number => Number(v ?? 0);

/** The condition on `call_attempts` (as `a`) of a missed ring. */
const MISSED_RING = `a.result IN (${sqlList(MISSED_RING_RESULTS)})`;

export function reportsRepo(db: Db): ReportsRepo {
  return {
    async departments(q) {
      checkRange(q);
      const params: SqlParam[] = [q.from, q.to, shortAbandonOf(q)];
      let where = 'c.arrived_at >= $1 AND c.arrived_at < $2';
      if (q.departmentId !== undefined) {
        if (!isUuid(q.departmentId)) return [];
        params.push(q.departmentId);
        where += ' AND c.department_id = $4';
      }
      const { rows } = await db.query<Record<string, unknown>>(
        `WITH figures AS (
           SELECT c.department_id, ${figuresSelect('$3')}
           FROM calls c LEFT JOIN departments d ON d.id = c.department_id
           WHERE ${where}
           GROUP BY c.department_id),
         rings AS (
           SELECT c.department_id, count(*)::int AS missed_rings
           FROM calls c JOIN call_attempts a ON a.call_id = c.id
           WHERE ${where} AND ${MISSED_RING}
           GROUP BY c.department_id)
         SELECT f.*, d.name, d.service_level_s, coalesce(r.missed_rings, 0) AS missed_rings
         FROM figures f
           LEFT JOIN departments d ON d.id = f.department_id
           LEFT JOIN rings r ON r.department_id IS NOT DISTINCT FROM f.department_id
         ORDER BY d.name NULLS LAST, f.department_id NULLS LAST`,
        params,
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
      const params: SqlParam[] = [q.from, q.to];
      let ringFilter = '';
      let callFilter = '';
      let statusFilter = '';
      if (q.agentId !== undefined) {
        if (!isUuid(q.agentId)) return [];
        params.push(q.agentId);
        ringFilter += ` AND a.agent_id = $${params.length}`;
        callFilter += ` AND c.agent_id = $${params.length}`;
        statusFilter += ` AND h.agent_id = $${params.length}`;
      }
      if (q.departmentId !== undefined) {
        if (!isUuid(q.departmentId)) return [];
        params.push(q.departmentId);
        ringFilter += ` AND c.department_id = $${params.length}`;
        callFilter += ` AND c.department_id = $${params.length}`;
      }
      const { rows } = await db.query<Record<string, unknown>>(
        `WITH rings AS (
           SELECT a.agent_id,
             count(*)::int AS rings,
             count(*) FILTER (WHERE a.result = 'answered')::int AS rings_answered,
             count(*) FILTER (WHERE ${MISSED_RING})::int AS missed_rings,
             avg(a.ring_s) FILTER (WHERE a.result = 'answered') AS avg_ring_s
           FROM call_attempts a JOIN calls c ON c.id = a.call_id
           WHERE a.started_at >= $1 AND a.started_at < $2 ${ringFilter}
           GROUP BY a.agent_id),
         talk AS (
           SELECT c.agent_id, count(*)::int AS answered,
             coalesce(sum(c.talk_s), 0) AS talk_s, avg(c.talk_s) AS avg_talk_s,
             avg(c.talk_s + coalesce(d.wrap_up_s, 0)) AS aht_s,
             coalesce(sum(c.talk_s + coalesce(d.wrap_up_s, 0)), 0) AS handle_s
           FROM calls c LEFT JOIN departments d ON d.id = c.department_id
           WHERE c.arrived_at >= $1 AND c.arrived_at < $2 AND c.agent_id IS NOT NULL
             AND c.answered_at IS NOT NULL ${callFilter}
           GROUP BY c.agent_id),
         spans AS (
           SELECT h.agent_id, h.to_status, h.at,
             lead(h.at) OVER (PARTITION BY h.agent_id ORDER BY h.at, h.id) AS next_at
           FROM agent_status_history h
           WHERE h.agent_id IN (SELECT agent_id FROM rings UNION SELECT agent_id FROM talk)
             ${statusFilter}),
         staffed AS (
           SELECT agent_id, sum(extract(epoch FROM
               least(coalesce(next_at, least(now(), $2)), $2) - greatest(at, $1))) AS staffed_s
           FROM spans
           WHERE to_status <> 'offline' AND at < $2 AND coalesce(next_at, now()) > $1
           GROUP BY agent_id)
         SELECT coalesce(r.agent_id, t.agent_id) AS agent_id, ag.name,
           r.rings, r.rings_answered, r.missed_rings, r.avg_ring_s,
           t.answered, t.talk_s, t.avg_talk_s, t.aht_s, t.handle_s, s.staffed_s
         FROM rings r FULL JOIN talk t ON t.agent_id = r.agent_id
           LEFT JOIN staffed s ON s.agent_id = coalesce(r.agent_id, t.agent_id)
           LEFT JOIN agents ag ON ag.id = coalesce(r.agent_id, t.agent_id)
         ORDER BY coalesce(t.answered, 0) DESC, coalesce(t.talk_s, 0) DESC, ag.name, 1`,
        params,
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
      // Per department, an index range scan of (department_id, arrived_at) from its local midnight.
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT d.id AS department_id, f.*
         FROM departments d CROSS JOIN LATERAL (
           SELECT ${figuresSelect('$1')}
           FROM calls c
           WHERE c.department_id = d.id
             AND c.arrived_at >= (date_trunc('day', now() AT TIME ZONE d.time_zone) AT TIME ZONE d.time_zone)
         ) f`,
        [DEFAULT_SHORT_ABANDON_S],
      );
      return new Map(rows.map((r) => [String(r.department_id), figuresFrom(r)]));
    },
  };
}
