/**
 * Report figures per department and per agent over a time range, computed in
 * SQL from the same `calls` / `call_attempts` projections the call log API
 * and CSV exports read, so a report can never disagree with the list of calls
 * behind it.
 *
 * Definitions (calls by arrival time in [from, to)):
 * - answered / abandoned / overflowed / ...: calls by outcome; `live` = not ended yet;
 * - missed = ended calls that reached the queue and were not answered
 *   (every outcome except answered, out-of-hours and rejected);
 * - service level = answered within `serviceLevelS` seconds / (answered + missed),
 *   with the department's own threshold; null when there was no such call;
 * - wait = arrival to answer (answered calls) or to the end (unanswered).
 */
import type { CallOutcome } from './call-log.ts';
import type { Db, SqlParam } from './db.ts';
import { ConstraintError } from './errors.ts';
import { isUuid } from './sql-helpers.ts';

export interface ReportRange {
  from: Date;
  to: Date;
}

export interface DepartmentReport {
  /** null collects calls that never reached a department (e.g. unknown number). */
  departmentId: string | null;
  calls: number;
  live: number;
  outcomes: Record<CallOutcome, number>;
  answered: number;
  missed: number;
  serviceLevelS: number | null;
  /** 0-1, or null without answered or missed calls. */
  serviceLevel: number | null;
  /** Mean wait of answered calls (pickup time). */
  avgAnswerS: number | null;
  avgTalkS: number | null;
  talkS: number;
  longestWaitS: number | null;
}

export interface AgentReport {
  agentId: string;
  /** Rings offered to the agent (attempts started in the range). */
  offered: number;
  answered: number;
  /** Rings that ended no-answer. */
  noAnswer: number;
  /** Busy or declined. */
  rejected: number;
  /** Mean ring time of the rings the agent answered. */
  avgRingS: number | null;
  /** Talk time of the calls the agent answered that arrived in the range. */
  talkS: number;
  avgTalkS: number | null;
}

export interface ReportsRepo {
  departments(range: ReportRange & { departmentId?: string }): Promise<DepartmentReport[]>;
  agents(range: ReportRange & { agentId?: string }): Promise<AgentReport[]>;
}

const OUTCOMES: CallOutcome[] = [
  'answered',
  'abandoned',
  'overflowed',
  'out-of-hours',
  'no-agent',
  'rejected',
  'failed',
];

function checkRange(range: ReportRange): void {
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

const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000;

export function reportsRepo(db: Db): ReportsRepo {
  return {
    async departments(range) {
      checkRange(range);
      const params: SqlParam[] = [range.from, range.to];
      let where = 'c.arrived_at >= $1 AND c.arrived_at < $2';
      if (range.departmentId !== undefined) {
        if (!isUuid(range.departmentId)) return [];
        params.push(range.departmentId);
        where += ' AND c.department_id = $3';
      }
      const outcomeColumns = OUTCOMES.map(
        (o, i) => `count(*) FILTER (WHERE c.outcome = '${o}')::int AS o${i}`,
      ).join(', ');
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT c.department_id,
           count(*)::int AS calls,
           count(*) FILTER (WHERE c.ended_at IS NULL)::int AS live,
           ${outcomeColumns},
           count(*) FILTER (WHERE c.outcome IS NOT NULL
             AND c.outcome NOT IN ('answered', 'out-of-hours', 'rejected'))::int AS missed,
           d.service_level_s,
           count(*) FILTER (WHERE c.outcome = 'answered' AND c.wait_s <= d.service_level_s)::int
             AS within_sl,
           avg(c.wait_s) FILTER (WHERE c.answered_at IS NOT NULL) AS avg_answer_s,
           avg(c.talk_s) FILTER (WHERE c.talk_s IS NOT NULL) AS avg_talk_s,
           coalesce(sum(c.talk_s), 0) AS talk_s,
           max(c.wait_s) AS longest_wait_s
         FROM calls c LEFT JOIN departments d ON d.id = c.department_id
         WHERE ${where}
         GROUP BY c.department_id, d.service_level_s
         ORDER BY c.department_id NULLS LAST`,
        params,
      );
      return rows.map((r) => {
        const outcomes = Object.fromEntries(OUTCOMES.map((o, i) => [o, num(r[`o${i}`])])) as Record<
          CallOutcome,
          number
        >;
        const answered = outcomes.answered;
        const missed = num(r.missed);
        return {
          departmentId: (r.department_id as string | null) ?? null,
          calls: num(r.calls),
          live: num(r.live),
          outcomes,
          answered,
          missed,
          serviceLevelS: r.service_level_s === null ? null : num(r.service_level_s),
          serviceLevel:
            answered + missed === 0 || r.service_level_s === null
              ? null
              : num(r.within_sl) / (answered + missed),
          avgAnswerS: numOrNull(r.avg_answer_s),
          avgTalkS: numOrNull(r.avg_talk_s),
          talkS: numOrNull(r.talk_s) ?? 0,
          longestWaitS: numOrNull(r.longest_wait_s),
        };
      });
    },

    async agents(range) {
      checkRange(range);
      const params: SqlParam[] = [range.from, range.to];
      let agentFilter = '';
      if (range.agentId !== undefined) {
        if (!isUuid(range.agentId)) return [];
        params.push(range.agentId);
        agentFilter = 'AND agent_id = $3';
      }
      const { rows } = await db.query<Record<string, unknown>>(
        `WITH rings AS (
           SELECT agent_id,
             count(*)::int AS offered,
             count(*) FILTER (WHERE result = 'answered')::int AS answered,
             count(*) FILTER (WHERE result = 'no-answer')::int AS no_answer,
             count(*) FILTER (WHERE result IN ('busy', 'declined'))::int AS rejected,
             avg(ring_s) FILTER (WHERE result = 'answered') AS avg_ring_s
           FROM call_attempts
           WHERE started_at >= $1 AND started_at < $2 ${agentFilter}
           GROUP BY agent_id),
         talk AS (
           SELECT agent_id, coalesce(sum(talk_s), 0) AS talk_s, avg(talk_s) AS avg_talk_s
           FROM calls
           WHERE arrived_at >= $1 AND arrived_at < $2 AND agent_id IS NOT NULL ${agentFilter}
           GROUP BY agent_id)
         SELECT coalesce(r.agent_id, t.agent_id) AS agent_id, r.offered, r.answered, r.no_answer,
           r.rejected, r.avg_ring_s, t.talk_s, t.avg_talk_s
         FROM rings r FULL JOIN talk t ON t.agent_id = r.agent_id
         ORDER BY 1`,
        params,
      );
      return rows.map((r) => ({
        agentId: String(r.agent_id),
        offered: num(r.offered),
        answered: num(r.answered),
        noAnswer: num(r.no_answer),
        rejected: num(r.rejected),
        avgRingS: numOrNull(r.avg_ring_s),
        talkS: numOrNull(r.talk_s) ?? 0,
        avgTalkS: numOrNull(r.avg_talk_s),
      }));
    },
  };
}
