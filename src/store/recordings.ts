/**
 * Call recordings: one row per finished WAV file (the file itself lives in
 * the recording folder). Written when the media server has completed a file,
 * read by the API (`GET /api/calls/:id/recording`), deleted with its file by
 * the retention job once the department's retention has run out.
 */
import type { Db } from './db.ts';
import { isUuid, toDate } from './sql-helpers.ts';

/** A department that is gone keeps its recordings this long. */
export const DEFAULT_RETENTION_DAYS = 90;

export interface Recording {
  id: string;
  callId: string;
  departmentId: string | null;
  /** Absolute path of the WAV file as the app reads it. */
  path: string;
  startedAt: Date;
  endedAt: Date;
  bytes: number;
  createdAt: Date;
}

export type RecordingInput = Omit<Recording, 'id' | 'createdAt'>;

interface RecordingRecord {
  id: string;
  call_id: string;
  department_id: string | null;
  path: string;
  started_at: Date;
  ended_at: Date;
  bytes: string | number;
  created_at: Date;
}

function fromRecord(r: RecordingRecord): Recording {
  return {
    id: r.id,
    callId: r.call_id,
    departmentId: r.department_id,
    path: r.path,
    startedAt: toDate(r.started_at),
    endedAt: toDate(r.ended_at),
    bytes: Number(r.bytes),
    createdAt: toDate(r.created_at),
  };
}

export interface RecordingsRepo {
  add(input: RecordingInput): Promise<Recording>;
  /** The call's latest recording (a call recorded twice, stopped and started, has several); null = none. */
  latestForCall(callId: string): Promise<Recording | null>;
  /**
   * Recordings whose department's retention has run out at `now` (ended more
   * than `recording_retention_days` before it), oldest first, at most `limit`.
   */
  expired(now: Date, limit: number): Promise<Recording[]>;
  /** false when there was no such row. */
  remove(id: string): Promise<boolean>;
}

export function recordingsRepo(db: Db): RecordingsRepo {
  return {
    async add(input) {
      const { rows } = await db.query<RecordingRecord>(
        `INSERT INTO recordings (call_id, department_id, path, started_at, ended_at, bytes)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [input.callId, input.departmentId, input.path, input.startedAt, input.endedAt, input.bytes],
      );
      return fromRecord(rows[0] as RecordingRecord);
    },
    async latestForCall(callId) {
      const { rows } = await db.query<RecordingRecord>(
        'SELECT * FROM recordings WHERE call_id = $1 ORDER BY ended_at DESC, created_at DESC LIMIT 1',
        [callId],
      );
      return rows[0] ? fromRecord(rows[0]) : null;
    },
    async expired(now, limit) {
      const { rows } = await db.query<RecordingRecord>(
        `SELECT r.* FROM recordings r LEFT JOIN departments d ON d.id = r.department_id
         WHERE r.ended_at < $1::timestamptz
           - make_interval(days => COALESCE(d.recording_retention_days, ${DEFAULT_RETENTION_DAYS}))
         ORDER BY r.ended_at LIMIT $2`,
        [now, limit],
      );
      return rows.map(fromRecord);
    },
    async remove(id) {
      if (!isUuid(id)) return false;
      const { rowCount } = await db.query('DELETE FROM recordings WHERE id = $1', [id]);
      return (rowCount ?? 0) > 0;
    },
  };
}
