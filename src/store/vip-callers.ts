/** VIP callers: jump ahead in the queue, optionally to a dedicated agent. */
import type { Db } from './db.ts';
import { type ColumnSpec, toDate } from './sql-helpers.ts';
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

interface VipCallerRecord {
  id: string;
  caller_number: string;
  dedicated_agent_id: string | null;
  note: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS: ColumnSpec = {
  callerNumber: { column: 'caller_number' },
  dedicatedAgentId: { column: 'dedicated_agent_id' },
  note: { column: 'note' },
};

function fromRecord(r: VipCallerRecord): VipCaller {
  return {
    id: r.id,
    callerNumber: r.caller_number,
    dedicatedAgentId: r.dedicated_agent_id,
    note: r.note,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

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
  const crud = tableCrud<VipCallerRecord, VipCaller, VipCallerInput, VipCallerPatch>(db, {
    table: 'vip_callers',
    entity: 'vip caller',
    insertColumns: COLUMNS,
    patchColumns: COLUMNS,
    fromRecord,
    label: (input) => input.callerNumber,
  });
  return {
    ...crud,
    async list() {
      const { rows } = await db.query<VipCallerRecord>(
        'SELECT * FROM vip_callers ORDER BY caller_number',
      );
      return rows.map(fromRecord);
    },
    async getByNumber(callerNumber) {
      const { rows } = await db.query<VipCallerRecord>(
        'SELECT * FROM vip_callers WHERE caller_number = $1',
        [callerNumber],
      );
      return rows[0] ? fromRecord(rows[0]) : null;
    },
  };
}
