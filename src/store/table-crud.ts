/**
 * get / create / update / remove by uuid for the plain tables (DIDs, VIP
 * callers, memberships, mobile allow-list), so each repository keeps only
 * what is particular to it. Departments and agents have their own, because
 * their writes touch more than one column set.
 */
import type { Db, SqlParam } from './db.ts';
import { NotFoundError } from './errors.ts';
import { type ColumnSpec, insertParts, isUuid, orNotFound, setClause } from './sql-helpers.ts';

export interface TableSpec<Rec, Row, Input> {
  /** Table name: a constant of the repository, never user input. */
  table: string;
  /** Name used in NotFoundError, e.g. 'did'. */
  entity: string;
  insertColumns: ColumnSpec;
  patchColumns: ColumnSpec;
  fromRecord(record: Rec): Row;
  /** What a failed insert is reported against (the row has no id yet). */
  label(input: Input): string;
}

export interface TableCrud<Row, Input, Patch> {
  get(id: string): Promise<Row | null>;
  create(input: Input): Promise<Row>;
  update(id: string, patch: Patch): Promise<Row>;
  remove(id: string): Promise<void>;
}

export function tableCrud<Rec, Row, Input extends object, Patch extends object>(
  db: Db,
  spec: TableSpec<Rec, Row, Input>,
): TableCrud<Row, Input, Patch> {
  const { table, entity } = spec;
  return {
    async get(id) {
      if (!isUuid(id)) return null;
      const { rows } = await db.query<Rec>(`SELECT * FROM ${table} WHERE id = $1`, [id]);
      return rows[0] ? spec.fromRecord(rows[0]) : null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const fields: Record<string, unknown> = Object.fromEntries(Object.entries(input));
      const { columns, values } = insertParts(fields, spec.insertColumns, params);
      const { rows } = await db.query<Rec>(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
        params,
      );
      return spec.fromRecord(orNotFound(rows[0], entity, spec.label(input)));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError(entity, id);
      const params: SqlParam[] = [id];
      const fields: Record<string, unknown> = Object.fromEntries(Object.entries(patch));
      const sets = [...setClause(fields, spec.patchColumns, params), 'updated_at = now()'];
      const { rows } = await db.query<Rec>(
        `UPDATE ${table} SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      return spec.fromRecord(orNotFound(rows[0], entity, id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError(entity, id);
      const { rowCount } = await db.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      if (rowCount === 0) throw new NotFoundError(entity, id);
    },
  };
}
