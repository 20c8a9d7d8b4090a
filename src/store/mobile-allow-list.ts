/**
 * Numbers an agent's mobile may be forwarded to (toll-fraud guard): a pattern
 * is an exact E.164 number ('+493012345') or a prefix ending in '*'
 * ('+4930*'; '+*' allows all). Prefixes, not regular expressions, so no
 * pattern can be slow or surprising.
 */
import type { Db } from './db.ts';
import { tableCrud } from './table-crud.ts';

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
  const crud = tableCrud<AllowListEntry, AllowListInput>(db, {
    table: 'mobile_allow_list',
    entity: 'allow-list entry',
    fields: ['pattern', 'description'],
    orderBy: 'pattern',
    label: (input) => input.pattern,
  });
  const list = () => crud.list();
  return {
    ...crud,
    list,
    async allows(number) {
      return (await list()).some((e) => matchesPattern(e.pattern, number));
    },
  };
}
