/**
 * Voicemails: one row per message a caller left, written once its WAV file
 * is complete. Listed newest first in keyset pages, like the call log.
 */
import type { Db, SqlParam } from './db.ts';
import { NotFoundError } from './errors.ts';
import { Conditions, keysetPage, type Page } from './keyset-page.ts';
import { isUuid, orNotFound, toDate } from './sql-helpers.ts';

export interface Voicemail {
  id: string;
  /** The call that left it (the call log's id). */
  callId: string | null;
  departmentId: string | null;
  /** The caller's number as received ('' when withheld). */
  caller: string;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  /** The WAV file, as this app reads it. */
  path: string;
  heard: boolean;
  assignedAgentId: string | null;
  createdAt: Date;
}

export type VoicemailInput = Omit<Voicemail, 'heard' | 'assignedAgentId' | 'createdAt'>;

export interface VoicemailPatch {
  heard?: boolean;
  assignedAgentId?: string | null;
}

export interface VoicemailFilter {
  departmentId?: string;
  /** Inclusive start of `startedAt`. */
  from?: Date;
  /** Exclusive end. */
  to?: Date;
  heard?: boolean;
  cursor?: string;
  limit?: number;
}

export interface VoicemailsRepo {
  add(input: VoicemailInput): Promise<Voicemail>;
  list(filter?: VoicemailFilter): Promise<Page<Voicemail>>;
  get(id: string): Promise<Voicemail | null>;
  /** Throws NotFoundError; ConstraintError('assignedAgentId') for an unknown agent. */
  update(id: string, patch: VoicemailPatch): Promise<Voicemail>;
  /** Removes the row and returns it (its file is the caller's to delete); NotFoundError. */
  remove(id: string): Promise<Voicemail>;
}

interface VoicemailRecord {
  id: string;
  call_id: string | null;
  department_id: string | null;
  caller: string;
  started_at: Date;
  ended_at: Date;
  duration_ms: number;
  path: string;
  heard: boolean;
  assigned_agent_id: string | null;
  created_at: Date;
  sort_key: string;
}

const COLUMNS =
  'id, call_id, department_id, caller, started_at, ended_at, duration_ms, path, heard, assigned_agent_id, created_at';

function fromRecord(r: Omit<VoicemailRecord, 'sort_key'>): Voicemail {
  return {
    id: r.id,
    callId: r.call_id,
    departmentId: r.department_id,
    caller: r.caller,
    startedAt: toDate(r.started_at),
    endedAt: toDate(r.ended_at),
    durationMs: Number(r.duration_ms),
    path: r.path,
    heard: r.heard,
    assignedAgentId: r.assigned_agent_id,
    createdAt: toDate(r.created_at),
  };
}

export function voicemailsRepo(db: Db): VoicemailsRepo {
  const get = async (id: string) => {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<VoicemailRecord>(
      `SELECT ${COLUMNS} FROM voicemails WHERE id = $1`,
      [id],
    );
    return rows[0] ? fromRecord(rows[0]) : null;
  };
  return {
    async add(v) {
      const { rows } = await db.query<VoicemailRecord>(
        `INSERT INTO voicemails (id, call_id, department_id, caller, started_at, ended_at, duration_ms, path)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [
          v.id,
          v.callId,
          v.departmentId,
          v.caller,
          v.startedAt,
          v.endedAt,
          Math.max(0, Math.round(v.durationMs)),
          v.path,
        ],
      );
      return fromRecord(orNotFound(rows[0], 'voicemail', v.id));
    },
    list(filter = {}) {
      const conds = new Conditions();
      if (filter.departmentId !== undefined) {
        if (!isUuid(filter.departmentId)) conds.raw('false');
        else conds.add('department_id = ?', filter.departmentId);
      }
      if (filter.from !== undefined) conds.add('started_at >= ?', filter.from);
      if (filter.to !== undefined) conds.add('started_at < ?', filter.to);
      if (filter.heard !== undefined) conds.add('heard = ?', filter.heard);
      return keysetPage<VoicemailRecord, Voicemail>(
        db,
        {
          table: 'voicemails',
          columns: COLUMNS,
          sortColumn: 'started_at',
          fromRecord,
        },
        conds,
        filter,
      );
    },
    get,
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError('voicemail', id);
      const params: SqlParam[] = [id];
      const sets: string[] = [];
      if (patch.heard !== undefined) {
        params.push(patch.heard);
        sets.push(`heard = $${params.length}`);
      }
      if (patch.assignedAgentId !== undefined) {
        params.push(patch.assignedAgentId);
        sets.push(`assigned_agent_id = $${params.length}`);
      }
      if (sets.length === 0) return orNotFound((await get(id)) ?? undefined, 'voicemail', id);
      const { rows } = await db.query<VoicemailRecord>(
        `UPDATE voicemails SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
        params,
      );
      return fromRecord(orNotFound(rows[0], 'voicemail', id));
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError('voicemail', id);
      const { rows } = await db.query<VoicemailRecord>(
        `DELETE FROM voicemails WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      return fromRecord(orNotFound(rows[0], 'voicemail', id));
    },
  };
}
