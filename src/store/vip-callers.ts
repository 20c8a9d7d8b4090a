/** VIP callers: jump ahead in the queue, optionally to a dedicated agent. */
import type { Db, SqlParam } from './db.ts';
import { NotFoundError } from './errors.ts';
import {
  type ColumnSpec,
  insertParts,
  isUuid,
  orNotFound,
  setClause,
  toDate,
} from './sql-helpers.ts';

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
  return {
    async list() {
      const { rows } = await db.query<VipCallerRecord>(
        'SELECT * FROM vip_callers ORDER BY caller_number',
      );
      return rows.map(fromRecord);
    },
    async get(id) {
      if (!isUuid(id)) return null;
      const { rows } = await db.query<VipCallerRecord>('SELECT * FROM vip_callers WHERE id = $1', [
        id,
      ]);
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async getByNumber(callerNumber) {
      const { rows } = await db.query<VipCallerRecord>(
        'SELECT * FROM vip_callers WHERE caller_number = $1',
        [callerNumber],
      );
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const { columns, values } = insertParts({ ...input }, COLUMNS, params);
      const { rows } = await db.query<VipCallerRecord>(
        `INSERT INTO vip_callers (${columns.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'vip caller', input.callerNumber));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError('vip caller', id);
      const params: SqlParam[] = [id];
      const sets = [...setClause({ ...patch }, COLUMNS, params), 'updated_at = now()'];
      const { rows } = await db.query<VipCallerRecord>(
        `UPDATE vip_callers SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'vip caller', id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError('vip caller', id);
      const { rowCount } = await db.query('DELETE FROM vip_callers WHERE id = $1', [id]);
      if (rowCount === 0) throw new NotFoundError('vip caller', id);
    },
  };
}
