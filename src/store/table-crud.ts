/**
 * The repository of a plain table (DIDs, VIP callers, memberships, mobile
 * allow-list): a uuid `id`, columns named after the row's fields, and
 * `created_at` / `updated_at`. List, get, find by columns, create, update
 * and remove, so each repository keeps only what is particular to it.
 * Departments and agents have their own, because their writes touch more
 * than one column set.
 */
import type { Db, SqlParam } from './db.ts';
import { NotFoundError } from './errors.ts';
import {
  type ColumnSpec,
  columnsOf,
  insertParts,
  isUuid,
  orNotFound,
  setClause,
  toDate,
} from './sql-helpers.ts';

export interface TableSpec<Input, Filter> {
  /** Table name: a constant of the repository, never user input. */
  table: string;
  /** Name used in NotFoundError, e.g. 'did'. */
  entity: string;
  /** Every field of the row besides id and the two times, in insert order. */
  fields: readonly (keyof Input & string)[];
  /** The fields an update may change (default: all). */
  patchable?: readonly (keyof Input & string)[];
  /** ORDER BY of `list`. */
  orderBy: string;
  /** The uuid fields `list` filters on (an id that is not a uuid matches nothing). */
  filters?: readonly (keyof Filter & string)[];
  /** What a failed insert is reported against (the row has no id yet). */
  label(input: Input): string;
}

export interface TableCrud<Row, Input, Patch, Filter> {
  list(filter?: Filter): Promise<Row[]>;
  get(id: string): Promise<Row | null>;
  /** The row whose columns equal `where` (field -> value), or null. */
  findBy(where: Partial<Record<keyof Input & string, SqlParam>>): Promise<Row | null>;
  create(input: Input): Promise<Row>;
  update(id: string, patch: Patch): Promise<Row>;
  remove(id: string): Promise<void>;
}

/** Row of a plain table: its fields under their camelCase names, times as Dates. */
function rowMapper<Row>(columns: ColumnSpec): (record: Record<string, unknown>) => Row {
  const pairs = Object.entries(columns).map(([field, spec]) => [field, spec.column] as const);
  return (r) => {
    const row: Record<string, unknown> = { id: r.id };
    for (const [field, column] of pairs) row[field] = r[column];
    row.createdAt = toDate(r.created_at);
    row.updatedAt = toDate(r.updated_at);
    return row as Row;
  };
}

export function tableCrud<
  Row,
  Input extends object,
  Patch extends object = Partial<Input>,
  Filter extends object = Record<never, never>,
>(db: Db, spec: TableSpec<Input, Filter>): TableCrud<Row, Input, Patch, Filter> {
  const { table, entity } = spec;
  const columns = columnsOf(...spec.fields);
  const patchColumns = spec.patchable ? columnsOf(...spec.patchable) : columns;
  const fromRecord = rowMapper<Row>(columns);
  const select = async (where: string[], params: SqlParam[], order = '') => {
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order}`,
      params,
    );
    return rows.map(fromRecord);
  };
  return {
    async list(filter) {
      const where: string[] = [];
      const params: SqlParam[] = [];
      for (const field of spec.filters ?? []) {
        const value = (filter as Record<string, unknown> | undefined)?.[field];
        if (value === undefined) continue;
        if (typeof value !== 'string' || !isUuid(value)) return [];
        params.push(value);
        where.push(`${columns[field]?.column ?? field} = $${params.length}`);
      }
      return select(where, params, `ORDER BY ${spec.orderBy}`);
    },
    async get(id) {
      if (!isUuid(id)) return null;
      const [row] = await select(['id = $1'], [id]);
      return row ?? null;
    },
    async findBy(match) {
      const entries = Object.entries(match) as [string, SqlParam][];
      const where = entries.map(([field], i) => `${columns[field]?.column} = $${i + 1}`);
      const [row] = await select(
        where,
        entries.map(([, v]) => v),
      );
      return row ?? null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const fields: Record<string, unknown> = Object.fromEntries(Object.entries(input));
      const { columns: names, values } = insertParts(fields, columns, params);
      const { rows } = await db.query<Record<string, unknown>>(
        `INSERT INTO ${table} (${names.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], entity, spec.label(input)));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError(entity, id);
      const params: SqlParam[] = [id];
      const fields: Record<string, unknown> = Object.fromEntries(Object.entries(patch));
      const sets = [...setClause(fields, patchColumns, params), 'updated_at = now()'];
      const { rows } = await db.query<Record<string, unknown>>(
        `UPDATE ${table} SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], entity, id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError(entity, id);
      const { rowCount } = await db.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      if (rowCount === 0) throw new NotFoundError(entity, id);
    },
  };
}
