/**
 * The SQL every report shares: a range cut into pieces (sql/0014's
 * `report_pieces`: whole UTC months, days and quarter hours read from the
 * rollups, edges shorter than a quarter hour read from the calls), the
 * pieces' partial figures (counts, sums in milliseconds, maxima) and their
 * sum. Rollup rows and calls give the same partial columns, so a figure over
 * any mix of pieces is the figure over the calls themselves.
 *
 * A query names its pieces in a CTE `pieces (grp, span, lo, hi)`: `grp` is
 * what the report groups by (an interval's start, a department), carried
 * through to the partial rows.
 */
import { CALL_OUTCOMES } from './call-vocabulary.ts';
import type { Db } from './db.ts';

/**
 * Where the figures come from: the rollups where whole spans allow ('rollups',
 * the default) or every call read one by one ('raw', the reference path the
 * tests compare the rollups with).
 */
export type ReportSource = 'rollups' | 'raw';

/** The short-abandon threshold the rollups count with (other thresholds read the calls). */
export const ROLLUP_SHORT_ABANDON_S = 5;

const outcomeColumn = (o: string) => `outcome_${o.replaceAll('-', '_')}`;
const OUTCOME_COLUMNS = CALL_OUTCOMES.map(outcomeColumn);

/** Filters of a call-figures query, as SQL expressions (placeholders or columns of `p`). */
export interface CallPartsFilter {
  /** Only this department's calls (an expression giving a uuid). */
  department?: string;
  /** The short-abandon threshold (a placeholder); raw pieces count with it. */
  shortAbandon: string;
  /** The group of a call read one by one (default: its piece's, p.grp). */
  rawGroup?: string;
}

/**
 * Each piece reads its rows in a LATERAL subquery behind OFFSET 0, so the
 * planner walks an index range per piece. As a plain join it would hash the
 * pieces on `span` (the one equality) and test every rollup row of the
 * table against every piece of its span.
 */
function perPiece(table: string, alias: string, where: string): string {
  return `CROSS JOIN LATERAL (SELECT * FROM ${table} ${alias}0 WHERE ${where} OFFSET 0) ${alias}`;
}

/** Partial call figures per piece: columns grp, dkey and the sums' inputs. */
export function callParts(f: CallPartsFilter): string {
  const rolledDept = f.department ? `AND r0.department_key = ${f.department}` : '';
  const rawDept = f.department ? `AND c0.department_id = ${f.department}` : '';
  const outcomes = OUTCOME_COLUMNS.join(', ');
  return `SELECT p.grp, r.department_key AS dkey, r.calls, r.live, r.offered, r.answered, r.missed,
      r.short_abandoned, r.within_sl, r.answered_wait_n, r.answered_wait_ms, r.talk_n, r.talk_ms,
      r.talk_ms + r.talk_n::bigint * coalesce(d.wrap_up_s, 0) * 1000 AS handle_ms,
      r.longest_wait_s, ${OUTCOME_COLUMNS.map((c) => `r.${c}`).join(', ')}, r.missed_rings
    FROM pieces p
      ${perPiece('report_department_rollups', 'r', `r0.span = p.span AND r0.bucket >= p.lo AND r0.bucket < p.hi ${rolledDept}`)}
      LEFT JOIN departments d ON d.id = r.department_key
    WHERE p.span <> 'raw'
    UNION ALL
    SELECT ${f.rawGroup ?? 'p.grp'}, c.department_key, 1, c.live, c.offered, c.answered, c.missed,
      CASE WHEN c.outcome = 'abandoned' AND c.wait_s < ${f.shortAbandon} THEN 1 ELSE 0 END,
      c.within_sl, c.answered_wait_n, c.answered_wait_ms, c.talk_n, c.talk_ms, c.handle_ms,
      c.wait_s, ${outcomes}, c.missed_rings
    FROM pieces p
      ${perPiece('report_call_parts', 'c', `c0.arrived_at >= p.lo AND c0.arrived_at < p.hi ${rawDept}`)}
    WHERE p.span = 'raw'`;
}

/**
 * The call figures summed over partial rows `x`, under the column names
 * report-figures.ts's `figuresFrom` reads. Times are divided in numeric, so
 * an average is the exact quotient of the millisecond sums.
 */
export function callFiguresSum(x = 'x'): string {
  const outcomes = OUTCOME_COLUMNS.map((c, i) => `sum(${x}.${c})::int AS o${i}`).join(',\n  ');
  return `sum(${x}.calls)::int AS calls,
  sum(${x}.live)::int AS live,
  sum(${x}.offered)::int AS offered,
  sum(${x}.missed)::int AS missed,
  sum(${x}.short_abandoned)::int AS short_abandoned,
  sum(${x}.within_sl)::int AS within_sl,
  sum(${x}.answered)::int AS answered_any,
  sum(${x}.answered_wait_ms)::numeric / nullif(sum(${x}.answered_wait_n), 0) / 1000 AS asa_s,
  sum(${x}.talk_ms)::numeric / nullif(sum(${x}.talk_n), 0) / 1000 AS avg_talk_s,
  sum(${x}.handle_ms)::numeric / nullif(sum(${x}.talk_n), 0) / 1000 AS aht_s,
  coalesce(sum(${x}.talk_ms), 0)::numeric / 1000 AS talk_s,
  max(${x}.longest_wait_s) AS longest_wait_s,
  sum(${x}.missed_rings)::int AS missed_rings,
  ${outcomes}`;
}

/** Filters of an agent-figures query (placeholders). */
export interface AgentPartsFilter {
  agent?: string;
  department?: string;
}

/**
 * Partial agent figures per piece: rings by start time, answered calls by
 * arrival time; columns agent_id and the sums' inputs.
 */
export function agentParts(f: AgentPartsFilter): string {
  const rolled = [
    f.agent ? `AND r0.agent_id = ${f.agent}` : '',
    f.department ? `AND r0.department_key = ${f.department}` : '',
  ].join(' ');
  const ring = [
    f.agent ? `AND a0.agent_id = ${f.agent}` : '',
    f.department ? `AND a0.department_id = ${f.department}` : '',
  ].join(' ');
  const talk = [
    f.agent ? `AND c0.agent_id = ${f.agent}` : '',
    f.department ? `AND c0.department_id = ${f.department}` : '',
  ].join(' ');
  return `SELECT r.agent_id, r.rings, r.rings_answered, r.missed_rings, r.answered_ring_n,
      r.answered_ring_ms, r.answered, r.talk_n, r.talk_ms,
      r.talk_ms + r.talk_n::bigint * coalesce(d.wrap_up_s, 0) * 1000 AS handle_ms
    FROM pieces p
      ${perPiece('report_agent_rollups', 'r', `r0.span = p.span AND r0.bucket >= p.lo AND r0.bucket < p.hi ${rolled}`)}
      LEFT JOIN departments d ON d.id = r.department_key
    WHERE p.span <> 'raw'
    UNION ALL
    SELECT a.agent_id, 1, a.rings_answered, a.missed_rings, a.answered_ring_n, a.answered_ring_ms,
      0, 0, NULL::bigint, NULL::bigint
    FROM pieces p
      ${perPiece('report_ring_parts', 'a', `a0.started_at >= p.lo AND a0.started_at < p.hi ${ring}`)}
    WHERE p.span = 'raw'
    UNION ALL
    SELECT c.agent_id, 0, 0, 0, 0, NULL::bigint, 1, c.talk_n, c.talk_ms, c.handle_ms
    FROM pieces p
      ${perPiece(
        'report_call_parts',
        'c',
        `c0.arrived_at >= p.lo AND c0.arrived_at < p.hi
          AND c0.agent_id IS NOT NULL AND c0.answered_at IS NOT NULL ${talk}`,
      )}
    WHERE p.span = 'raw'`;
}

/** The agent figures summed over partial rows `x`, grouped by x.agent_id. */
export function agentFiguresSum(x = 'x'): string {
  return `sum(${x}.rings)::int AS rings,
  sum(${x}.rings_answered)::int AS rings_answered,
  sum(${x}.missed_rings)::int AS missed_rings,
  sum(${x}.answered_ring_ms)::numeric / nullif(sum(${x}.answered_ring_n), 0) / 1000 AS avg_ring_s,
  sum(${x}.answered)::int AS answered,
  coalesce(sum(${x}.talk_ms), 0)::numeric / 1000 AS talk_s,
  sum(${x}.talk_ms)::numeric / nullif(sum(${x}.talk_n), 0) / 1000 AS avg_talk_s,
  sum(${x}.handle_ms)::numeric / nullif(sum(${x}.talk_n), 0) / 1000 AS aht_s,
  coalesce(sum(${x}.handle_ms), 0)::numeric / 1000 AS handle_s`;
}

/** Whether a query reads the rollups: not on request, nor for another short-abandon threshold. */
export function readsRollups(q: { source?: ReportSource }, shortAbandonS: number): boolean {
  return q.source !== 'raw' && shortAbandonS === ROLLUP_SHORT_ABANDON_S;
}

/**
 * Runs `read` in a transaction that first brings the rollups up to date
 * (sql/0015's `report_rollups_flush`: the quarter hours marked dirty by the
 * changes a write cannot add to the rollups itself are recomputed). The flush's lock is held until the read ends, so no
 * write commits between the flush and the read's snapshot: the rollups the
 * read sees sum exactly the calls it sees. A read that does not use the
 * rollups (`rolled` false) runs as it is.
 */
export function withCurrentRollups<T>(
  db: Db,
  rolled: boolean,
  read: (db: Db) => Promise<T>,
): Promise<T> {
  if (!rolled) return read(db);
  return db.transaction(async (tx) => {
    await tx.query('SELECT report_rollups_flush()');
    return read(tx);
  });
}

/**
 * Recomputes the quarter hours marked dirty, if any, and returns how many
 * marks it took (0 without taking the lock when there are none): the
 * background pass that keeps the readers' share small.
 */
export async function catchUpRollups(db: Db): Promise<number> {
  const { rows } = await db.query<{ marks: number }>(
    'SELECT report_rollups_flush() AS marks WHERE report_rollups_pending()',
  );
  return Number(rows[0]?.marks ?? 0);
}
