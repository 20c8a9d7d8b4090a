/** Which agents take calls for which department, with a priority (1 best ... 100) and an on/off toggle. */
import type { Db } from './db.ts';
import { isUuid } from './sql-helpers.ts';
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
  const crud = tableCrud<
    Membership,
    MembershipInput,
    MembershipPatch,
    { agentId?: string; departmentId?: string }
  >(db, {
    table: 'memberships',
    entity: 'membership',
    fields: ['agentId', 'departmentId', 'priority', 'callsEnabled'],
    patchable: ['priority', 'callsEnabled'],
    orderBy: 'department_id, priority, agent_id',
    filters: ['agentId', 'departmentId'],
    label: (input) => input.agentId,
  });
  return {
    ...crud,
    async getByPair(agentId, departmentId) {
      if (!isUuid(agentId) || !isUuid(departmentId)) return null;
      return crud.findBy({ agentId, departmentId });
    },
  };
}
