/**
 * Numbers an agent's mobile may be forwarded to (toll-fraud guard): a pattern
 * is an exact E.164 number ('+493012345') or a prefix ending in '*'
 * ('+4930*'; '+*' allows all). Prefixes, not regular expressions, so no
 * pattern can be slow or surprising.
 */
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

export interface AllowListEntry {
  id: string;
  pattern: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AllowListInput {
  pattern: string;
  description?: string | null;
}
export type AllowListPatch = Partial<AllowListInput>;

interface AllowListRecord {
  id: string;
  pattern: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS: ColumnSpec = {
  pattern: { column: 'pattern' },
  description: { column: 'description' },
};

function fromRecord(r: AllowListRecord): AllowListEntry {
  return {
    id: r.id,
    pattern: r.pattern,
    description: r.description,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Whether `number` matches `pattern` ('+4930*' is a prefix, anything else must be equal). */
export function matchesPattern(pattern: string, number: string): boolean {
  return pattern.endsWith('*') ? number.startsWith(pattern.slice(0, -1)) : number === pattern;
}

export interface MobileAllowListRepo {
  list(): Promise<AllowListEntry[]>;
  get(id: string): Promise<AllowListEntry | null>;
  /** ConflictError('pattern') when present; ConstraintError('pattern') when malformed. */
  create(input: AllowListInput): Promise<AllowListEntry>;
  update(id: string, patch: AllowListPatch): Promise<AllowListEntry>;
  remove(id: string): Promise<void>;
  /** Whether some pattern allows forwarding to `number`. */
  allows(number: string): Promise<boolean>;
}

export function mobileAllowListRepo(db: Db): MobileAllowListRepo {
  const list = async () => {
    const { rows } = await db.query<AllowListRecord>(
      'SELECT * FROM mobile_allow_list ORDER BY pattern',
    );
    return rows.map(fromRecord);
  };
  return {
    list,
    async get(id) {
      if (!isUuid(id)) return null;
      const { rows } = await db.query<AllowListRecord>(
        'SELECT * FROM mobile_allow_list WHERE id = $1',
        [id],
      );
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const { columns, values } = insertParts({ ...input }, COLUMNS, params);
      const { rows } = await db.query<AllowListRecord>(
        `INSERT INTO mobile_allow_list (${columns.join(', ')}) VALUES (${values.join(', ')})
         RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'allow-list entry', input.pattern));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError('allow-list entry', id);
      const params: SqlParam[] = [id];
      const sets = [...setClause({ ...patch }, COLUMNS, params), 'updated_at = now()'];
      const { rows } = await db.query<AllowListRecord>(
        `UPDATE mobile_allow_list SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'allow-list entry', id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError('allow-list entry', id);
      const { rowCount } = await db.query('DELETE FROM mobile_allow_list WHERE id = $1', [id]);
      if (rowCount === 0) throw new NotFoundError('allow-list entry', id);
    },
    async allows(number) {
      return (await list()).some((e) => matchesPattern(e.pattern, number));
    },
  };
}
