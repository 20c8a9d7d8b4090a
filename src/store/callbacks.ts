/**
 * Callback requests (sql/0012_callbacks.sql): written when the routing
 * engine takes a request, updated after each failed try, closed when the
 * customer was reached or every retry failed. Pending rows are what a
 * restart puts back into the queues, oldest request first.
 */
import type { Db } from './db.ts';
import { toDate, toDateOrNull } from './sql-helpers.ts';

export interface CallbackRequest {
  callId: string;
  departmentId: string;
  /** E.164 number to call back. */
  number: string;
  /** The original call's arrival: the request's place in the queue. */
  arrivedAt: Date;
  failedTries: number;
  /** Next try after a failed one (null = waiting in the queue). */
  retryAt: Date | null;
  /**
   * The highest ring attempt number of its call in the log (`<call id>/<n>`),
   * 0 for none: a restored request numbers its attempts after it.
   */
  attemptsMade: number;
}

export type CallbackEnd = 'reached' | 'failed';

interface CallbackRecord {
  call_id: string;
  department_id: string;
  number: string;
  arrived_at: Date;
  failed_tries: number;
  retry_at: Date | null;
  attempts_made: number;
}

function fromRecord(r: CallbackRecord): CallbackRequest {
  return {
    callId: r.call_id,
    departmentId: r.department_id,
    number: r.number,
    arrivedAt: toDate(r.arrived_at),
    failedTries: Number(r.failed_tries),
    retryAt: toDateOrNull(r.retry_at),
    attemptsMade: Number(r.attempts_made),
  };
}

export interface CallbacksRepo {
  /** A new request (a repeated call id is ignored: the request is already stored). */
  create(r: Omit<CallbackRequest, 'failedTries' | 'retryAt' | 'attemptsMade'>): Promise<void>;
  /** A try failed; the next one is due at `retryAt`. */
  retryScheduled(callId: string, failedTries: number, retryAt: Date): Promise<void>;
  /** The request ended; a closed request stays closed. */
  close(callId: string, end: CallbackEnd): Promise<void>;
  /** Open requests in the order they were made. */
  pending(): Promise<CallbackRequest[]>;
}

export function callbacksRepo(db: Db): CallbacksRepo {
  return {
    async create(r) {
      await db.query(
        `INSERT INTO callback_requests (call_id, department_id, number, arrived_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (call_id) DO NOTHING`,
        [r.callId, r.departmentId, r.number, r.arrivedAt],
      );
    },
    async retryScheduled(callId, failedTries, retryAt) {
      await db.query(
        `UPDATE callback_requests SET failed_tries = $2, retry_at = $3
          WHERE call_id = $1 AND state = 'pending'`,
        [callId, failedTries, retryAt],
      );
    },
    async close(callId, end) {
      await db.query(
        `UPDATE callback_requests SET state = $2, closed_at = now()
          WHERE call_id = $1 AND state = 'pending'`,
        [callId, end],
      );
    },
    async pending() {
      const { rows } = await db.query<CallbackRecord>(
        `SELECT r.call_id, r.department_id, r.number, r.arrived_at, r.failed_tries, r.retry_at,
                COALESCE((SELECT max(substring(a.id FROM '/([0-9]+)$')::int)
                            FROM call_attempts a WHERE a.call_id = r.call_id), 0) AS attempts_made
           FROM callback_requests r WHERE r.state = 'pending' ORDER BY r.seq`,
      );
      return rows.map(fromRecord);
    },
  };
}
