/**
 * Keyset pagination for the call log's lists: pages newest first, ordered by
 * a time column and the id, with an opaque cursor holding the last row's
 * key, so pages stay stable while new rows arrive.
 */
import type { Db, SqlParam } from './db.ts';
import { ConstraintError } from './errors.ts';

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const CURSOR_VERSION = 1;

function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, sortKey, id])).toString('base64url');
}

function decodeCursor(cursor: string): { sortKey: string; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v[0] === CURSOR_VERSION &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'string'
    ) {
      return { sortKey: v[1], id: v[2] };
    }
  } catch {
    // not JSON: refused below like any other foreign cursor
  }
  throw new ConstraintError('cursor', 'not a cursor from this API');
}

/** `limit` checked against 1-`max`; `fallback` when absent. */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ConstraintError('limit', `must be an integer 1-${max}`);
  }
  return limit;
}

/** WHERE conditions with `?` placeholders, numbered as they are added. */
export class Conditions {
  readonly params: SqlParam[] = [];
  private readonly where: string[] = [];
  add(cond: string, ...values: SqlParam[]): void {
    let c = cond;
    for (const v of values) {
      this.params.push(v);
      c = c.replace('?', `$${this.params.length}`);
    }
    this.where.push(c);
  }
  raw(cond: string): void {
    this.where.push(cond);
  }
  sql(): string {
    return this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
  }
}

/** What a paged list reads: `columns` of `table`, newest `sortColumn` first. */
export interface KeysetQuery<Rec, Row> {
  table: string;
  columns: string;
  sortColumn: string;
  fromRecord: (r: Rec) => Row;
}

/**
 * One page, newest first, of `q.table` ordered by (`q.sortColumn`, id); the
 * cursor is the last row's key.
 */
export async function keysetPage<Rec extends { sort_key: string; id: string }, Row>(
  db: Db,
  q: KeysetQuery<Rec, Row>,
  conds: Conditions,
  filter: { cursor?: string; limit?: number },
): Promise<Page<Row>> {
  if (filter.cursor !== undefined) {
    const c = decodeCursor(filter.cursor);
    conds.add(`(${q.sortColumn}, id) < (?::timestamptz, ?)`, c.sortKey, c.id);
  }
  const limit = clampLimit(filter.limit, 100, 1000);
  const params = [...conds.params, limit + 1];
  const { rows } = await db.query<Rec>(
    `SELECT ${q.columns}, ${q.sortColumn}::text AS sort_key FROM ${q.table} ${conds.sql()}
     ORDER BY ${q.sortColumn} DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(q.fromRecord),
    nextCursor: rows.length > limit && last ? encodeCursor(last.sort_key, last.id) : null,
  };
}
