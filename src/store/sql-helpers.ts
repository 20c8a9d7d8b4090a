/** Small helpers shared by the repositories. */
import type { SqlParam } from './db.ts';
import { NotFoundError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else cannot exist, so lookups answer "not found" without asking. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** JSON parameters go in as text and are cast in SQL (`$n::text::jsonb`), the same for both drivers. */
export function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

export function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v);
}

export function toNumberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

export function orNotFound<T>(row: T | undefined, entity: string, id: string): T {
  if (row === undefined) throw new NotFoundError(entity, id);
  return row;
}

/**
 * Builds `col = $n, ...` for the fields present in `patch` (undefined = leave
 * as is, null = set NULL). `columns` maps each patchable field to its column
 * and an optional cast.
 */
export function setClause(
  patch: Record<string, unknown>,
  columns: ColumnSpec,
  params: SqlParam[],
): string[] {
  const sets: string[] = [];
  for (const [field, spec] of Object.entries(columns)) {
    const value = patch[field];
    if (value === undefined) continue;
    params.push(spec.encode ? spec.encode(value) : (value as SqlParam));
    sets.push(`${spec.column} = $${params.length}${spec.cast ?? ''}`);
  }
  return sets;
}

export type ColumnSpec = Record<
  string,
  { column: string; cast?: string; encode?: (v: unknown) => SqlParam }
>;

/** 'ringTimeoutS' -> 'ring_timeout_s': the columns are named after the fields. */
export function columnName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A ColumnSpec of plain columns (no cast), each named after its field. */
export function columnsOf(...fields: string[]): ColumnSpec {
  return Object.fromEntries(fields.map((f) => [f, { column: columnName(f) }]));
}

/** `(col, ...) VALUES ($n, ...)` parts for the fields present in `input`. */
export function insertParts(
  input: Record<string, unknown>,
  columns: ColumnSpec,
  params: SqlParam[],
): { columns: string[]; values: string[] } {
  const out = { columns: [] as string[], values: [] as string[] };
  for (const [field, spec] of Object.entries(columns)) {
    const value = input[field];
    if (value === undefined) continue;
    params.push(spec.encode ? spec.encode(value) : (value as SqlParam));
    out.columns.push(spec.column);
    out.values.push(`$${params.length}${spec.cast ?? ''}`);
  }
  return out;
}
