/** Dialled numbers (DIDs): which department answers an E.164 number. */
import type { Db, SqlParam } from './db.ts';
import { type ColumnSpec, isUuid, toDate } from './sql-helpers.ts';
import { tableCrud } from './table-crud.ts';

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
  const crud = tableCrud<DidRecord, Did, DidInput, DidPatch>(db, {
    table: 'dids',
    entity: 'did',
    insertColumns: COLUMNS,
    patchColumns: COLUMNS,
    fromRecord,
    label: (input) => input.number,
  });
  return {
    ...crud,
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
    async getByNumber(number) {
      const { rows } = await db.query<DidRecord>('SELECT * FROM dids WHERE number = $1', [number]);
      return rows[0] ? fromRecord(rows[0]) : null;
    },
  };
}
