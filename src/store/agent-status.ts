/**
 * Agent status changes (available, away, break until a time, offline): each
 * change updates the agent row, appends an 'agent.status' event and, through
 * the event's projection, a status-history row, all in one transaction.
 */
import {
  type Agent,
  AGENT_COLUMNS,
  type AgentRecord,
  type AgentStatus,
  agentFromRecord,
} from './agents.ts';
import { appendEventIn } from './call-log-append.ts';
import type { StatusSource } from './call-vocabulary.ts';
import type { Db, SqlParam } from './db.ts';
import { ConstraintError, NotFoundError } from './errors.ts';
import { isUuid, toDate, toDateOrNull } from './sql-helpers.ts';

export interface StatusChange {
  /** The id of the 'agent.status' event. */
  id: number;
  agentId: string;
  fromStatus: AgentStatus | null;
  toStatus: AgentStatus;
  until: Date | null;
  reason: string | null;
  source: StatusSource;
  at: Date;
}

export interface SetStatusInput {
  status: AgentStatus;
  /** For a break: when it ends (must be null for 'available'). */
  until?: Date | null;
  reason?: string | null;
  /** Who asks: the agent, an admin through the API, or the system. */
  source: StatusSource;
  /** Default: the database's now(). */
  at?: Date;
}

interface HistoryRecord {
  id: string | number;
  agent_id: string;
  from_status: AgentStatus | null;
  to_status: AgentStatus;
  until: Date | null;
  reason: string | null;
  source: StatusSource;
  at: Date;
}

function fromRecord(r: HistoryRecord): StatusChange {
  return {
    id: Number(r.id),
    agentId: r.agent_id,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    until: toDateOrNull(r.until),
    reason: r.reason,
    source: r.source,
    at: toDate(r.at),
  };
}

export interface AgentStatusRepo {
  /**
   * Changes an agent's status. NotFoundError for an unknown agent;
   * ConstraintError('status') when the agent may not change their own status
   * and `source` is 'agent'.
   */
  set(agentId: string, input: SetStatusInput): Promise<{ agent: Agent; change: StatusChange }>;
  /** Newest first. */
  history(
    agentId: string,
    filter?: { from?: Date; to?: Date; limit?: number },
  ): Promise<StatusChange[]>;
  /** Ends breaks whose `until` has passed at `now` (-> available, source 'system'). */
  endExpiredBreaks(now: Date): Promise<StatusChange[]>;
}

async function setIn(
  tx: Db,
  agentId: string,
  input: SetStatusInput,
): Promise<{ agent: Agent; change: StatusChange }> {
  if (!isUuid(agentId)) throw new NotFoundError('agent', agentId);
  const current = await tx.query<{ status: AgentStatus; may_change_own_status: boolean }>(
    'SELECT status, may_change_own_status FROM agents WHERE id = $1 FOR UPDATE',
    [agentId],
  );
  const before = current.rows[0];
  if (!before) throw new NotFoundError('agent', agentId);
  if (input.source === 'agent' && !before.may_change_own_status) {
    throw new ConstraintError('status', 'this agent may not change their own status');
  }
  const until = input.until ?? null;
  const { rows } = await tx.query<AgentRecord>(
    `UPDATE agents SET status = $2, status_until = $3, status_reason = $4, updated_at = now()
     WHERE id = $1 RETURNING ${AGENT_COLUMNS}`,
    [agentId, input.status, until, input.reason ?? null],
  );
  const event = await appendEventIn(tx, {
    type: 'agent.status',
    at: input.at,
    agentId,
    payload: {
      from: before.status,
      to: input.status,
      until: until ? until.toISOString() : null,
      reason: input.reason ?? null,
      source: input.source,
    },
  });
  const history = await tx.query<HistoryRecord>(
    'SELECT * FROM agent_status_history WHERE id = $1',
    [event.id],
  );
  return {
    agent: agentFromRecord(rows[0] as AgentRecord),
    change: fromRecord(history.rows[0] as HistoryRecord),
  };
}

export function agentStatusRepo(db: Db): AgentStatusRepo {
  return {
    set: (agentId, input) => db.transaction((tx) => setIn(tx, agentId, input)),
    async history(agentId, filter = {}) {
      if (!isUuid(agentId)) return [];
      const params: SqlParam[] = [agentId];
      const where = ['agent_id = $1'];
      if (filter.from !== undefined) {
        params.push(filter.from);
        where.push(`at >= $${params.length}`);
      }
      if (filter.to !== undefined) {
        params.push(filter.to);
        where.push(`at < $${params.length}`);
      }
      const limit = filter.limit ?? 1000;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10000) {
        throw new ConstraintError('limit', 'must be an integer 1-10000');
      }
      params.push(limit);
      const { rows } = await db.query<HistoryRecord>(
        `SELECT * FROM agent_status_history WHERE ${where.join(' AND ')}
         ORDER BY at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(fromRecord);
    },
    endExpiredBreaks: (now) =>
      db.transaction(async (tx) => {
        const due = await tx.query<{ id: string }>(
          `SELECT id FROM agents WHERE status = 'break' AND status_until <= $1
           ORDER BY status_until, id FOR UPDATE`,
          [now],
        );
        const changes: StatusChange[] = [];
        for (const { id } of due.rows) {
          const { change } = await setIn(tx, id, {
            status: 'available',
            source: 'system',
            reason: 'break ended',
            at: now,
          });
          changes.push(change);
        }
        return changes;
      }),
  };
}
