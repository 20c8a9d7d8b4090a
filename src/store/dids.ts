/** Dialled numbers (DIDs): which department answers an E.164 number. */
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

export interface Did {
  id: string;
  /** E.164, e.g. '+493012345678'; unique. */
  number: string;
  departmentId: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DidInput {
  number: string;
  departmentId: string;
  description?: string | null;
}
export type DidPatch = Partial<DidInput>;

interface DidRecord {
  id: string;
  number: string;
  department_id: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS: ColumnSpec = {
  number: { column: 'number' },
  departmentId: { column: 'department_id' },
  description: { column: 'description' },
};

function fromRecord(r: DidRecord): Did {
  return {
    id: r.id,
    number: r.number,
    departmentId: r.department_id,
    description: r.description,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export interface DidsRepo {
  list(filter?: { departmentId?: string }): Promise<Did[]>;
  get(id: string): Promise<Did | null>;
  /** The lookup for an incoming INVITE. */
  getByNumber(number: string): Promise<Did | null>;
  /** ConflictError('number') when taken; ConstraintError('departmentId') for an unknown department. */
  create(input: DidInput): Promise<Did>;
  update(id: string, patch: DidPatch): Promise<Did>;
  remove(id: string): Promise<void>;
}

export function didsRepo(db: Db): DidsRepo {
  return {
    async list(filter = {}) {
      const params: SqlParam[] = [];
      let where = '';
      if (filter.departmentId !== undefined) {
        if (!isUuid(filter.departmentId)) return [];
        params.push(filter.departmentId);
        where = 'WHERE department_id = $1';
      }
      const { rows } = await db.query<DidRecord>(
        `SELECT * FROM dids ${where} ORDER BY number`,
        params,
      );
      return rows.map(fromRecord);
    },
    async get(id) {
      if (!isUuid(id)) return null;
      const { rows } = await db.query<DidRecord>('SELECT * FROM dids WHERE id = $1', [id]);
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async getByNumber(number) {
      const { rows } = await db.query<DidRecord>('SELECT * FROM dids WHERE number = $1', [number]);
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const { columns, values } = insertParts({ ...input }, COLUMNS, params);
      const { rows } = await db.query<DidRecord>(
        `INSERT INTO dids (${columns.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'did', input.number));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError('did', id);
      const params: SqlParam[] = [id];
      const sets = [...setClause({ ...patch }, COLUMNS, params), 'updated_at = now()'];
      const { rows } = await db.query<DidRecord>(
        `UPDATE dids SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'did', id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError('did', id);
      const { rowCount } = await db.query('DELETE FROM dids WHERE id = $1', [id]);
      if (rowCount === 0) throw new NotFoundError('did', id);
    },
  };
}
