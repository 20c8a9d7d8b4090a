/** VIP callers: jump ahead in the queue, optionally to a dedicated agent. */
import type { Db } from './db.ts';
import { tableCrud } from './table-crud.ts';

export interface VipCaller {
  id: string;
  /** E.164; unique. */
  callerNumber: string;
  dedicatedAgentId: string | null;
  note: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VipCallerInput {
  callerNumber: string;
  dedicatedAgentId?: string | null;
  note?: string | null;
}
export type VipCallerPatch = Partial<VipCallerInput>;

export interface VipCallersRepo {
  list(): Promise<VipCaller[]>;
  get(id: string): Promise<VipCaller | null>;
  /** The lookup for an arriving call. */
  getByNumber(callerNumber: string): Promise<VipCaller | null>;
  /** ConflictError('callerNumber') when listed already. */
  create(input: VipCallerInput): Promise<VipCaller>;
  update(id: string, patch: VipCallerPatch): Promise<VipCaller>;
  remove(id: string): Promise<void>;
}

export function vipCallersRepo(db: Db): VipCallersRepo {
  const crud = tableCrud<VipCaller, VipCallerInput>(db, {
    table: 'vip_callers',
    entity: 'vip caller',
    fields: ['callerNumber', 'dedicatedAgentId', 'note'],
    orderBy: 'caller_number',
    label: (input) => input.callerNumber,
  });
  return {
    ...crud,
    list: () => crud.list(),
    getByNumber: (callerNumber) => crud.findBy({ callerNumber }),
  };
}
