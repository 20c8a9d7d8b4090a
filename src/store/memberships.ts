/** Which agents take calls for which department, with a priority (1 best ... 100) and an on/off toggle. */
import type { Db, SqlParam } from './db.ts';
import { type ColumnSpec, isUuid, toDate } from './sql-helpers.ts';
import { tableCrud } from './table-crud.ts';

export interface Membership {
  id: string;
  agentId: string;
  departmentId: string;
  /** 1 = highest ... 100 = lowest. */
  priority: number;
  callsEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface MembershipInput {
  agentId: string;
  departmentId: string;
  /** Default 50. */
  priority?: number;
  /** Default true. */
  callsEnabled?: boolean;
}
export type MembershipPatch = Partial<Pick<MembershipInput, 'priority' | 'callsEnabled'>>;

interface MembershipRecord {
  id: string;
  agent_id: string;
  department_id: string;
  priority: number;
  calls_enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS: ColumnSpec = {
  agentId: { column: 'agent_id' },
  departmentId: { column: 'department_id' },
  priority: { column: 'priority' },
  callsEnabled: { column: 'calls_enabled' },
};
const PATCHABLE: ColumnSpec = {
  priority: { column: 'priority' },
  callsEnabled: { column: 'calls_enabled' },
};

function fromRecord(r: MembershipRecord): Membership {
  return {
    id: r.id,
    agentId: r.agent_id,
    departmentId: r.department_id,
    priority: r.priority,
    callsEnabled: r.calls_enabled,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export interface MembershipsRepo {
  list(filter?: { agentId?: string; departmentId?: string }): Promise<Membership[]>;
  get(id: string): Promise<Membership | null>;
  getByPair(agentId: string, departmentId: string): Promise<Membership | null>;
  /**
   * ConflictError('departmentId') when the agent is already a member;
   * ConstraintError('agentId' | 'departmentId') for unknown ids, ('priority') outside 1-100.
   */
  create(input: MembershipInput): Promise<Membership>;
  update(id: string, patch: MembershipPatch): Promise<Membership>;
  remove(id: string): Promise<void>;
}

export function membershipsRepo(db: Db): MembershipsRepo {
  const crud = tableCrud<MembershipRecord, Membership, MembershipInput, MembershipPatch>(db, {
    table: 'memberships',
    entity: 'membership',
    insertColumns: COLUMNS,
    patchColumns: PATCHABLE,
    fromRecord,
    label: (input) => input.agentId,
  });
  return {
    ...crud,
    async list(filter = {}) {
      const params: SqlParam[] = [];
      const where: string[] = [];
      for (const [field, column] of [
        ['agentId', 'agent_id'],
        ['departmentId', 'department_id'],
      ] as const) {
        const value = filter[field];
        if (value === undefined) continue;
        if (!isUuid(value)) return [];
        params.push(value);
        where.push(`${column} = $${params.length}`);
      }
      const { rows } = await db.query<MembershipRecord>(
        `SELECT * FROM memberships ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY department_id, priority, agent_id`,
        params,
      );
      return rows.map(fromRecord);
    },
    async getByPair(agentId, departmentId) {
      if (!isUuid(agentId) || !isUuid(departmentId)) return null;
      const { rows } = await db.query<MembershipRecord>(
        'SELECT * FROM memberships WHERE agent_id = $1 AND department_id = $2',
        [agentId, departmentId],
      );
      return rows[0] ? fromRecord(rows[0]) : null;
    },
  };
}
