/** Dialled numbers (DIDs): which department answers an E.164 number. */
import type { Db } from './db.ts';
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
  const crud = tableCrud<Did, DidInput, DidPatch, { departmentId?: string }>(db, {
    table: 'dids',
    entity: 'did',
    fields: ['number', 'departmentId', 'description'],
    orderBy: 'number',
    filters: ['departmentId'],
    label: (input) => input.number,
  });
  return { ...crud, getByNumber: (number) => crud.findBy({ number }) };
}
