/**
 * Writes call-log events to the database without ever blocking call control,
 * and without losing them in a short database outage.
 *
 * Guarantees:
 * - `write()` never throws and never waits: events go into a bounded
 *   in-memory queue and are written in the order `write()` was called, in
 *   batches, each batch all-or-nothing (the sink's `append` is one transaction).
 *   An idle writer waits `gatherMs` after the first event so that the events
 *   of one call's moment (routed, ringing, answered...) share one statement:
 *   the database does a fraction of the work, off the moments SIP is busy.
 * - While the database is unavailable (connection refused or dropped, server
 *   shutting down, too many connections…) the batch at the head is retried
 *   with exponential backoff; nothing behind it overtakes it.
 * - An event the database refuses for good (a constraint violation, a call it
 *   does not know) cannot be fixed by retrying: the batch is retried one event
 *   at a time, and only the refused event is dropped, with an error log and
 *   the `dropped` metric.
 * - When the queue is full, new events are dropped (so the ones already kept
 *   stay in order), counted by the `dropped` metric and logged once per
 *   episode; a warning is logged when the queue passes half full.
 * - `close()` stops accepting events, tries a final flush for at most
 *   `closeTimeoutMs` (retrying as usual), releases its timer and reports what
 *   could not be written.
 * A batch whose commit succeeded but whose answer was lost (connection cut at
 * COMMIT) is retried and may be written twice; a sink that dedupes by an
 * event id makes that exactly-once.
 */
import type { CallLogSink, Logger } from '../ports/index.ts';
import { silentLogger } from '../ports/index.ts';

export type { CallLogSink } from '../ports/index.ts';

export interface CallLogWriterMetrics {
  /** Current queue length (events waiting, including the batch being written). */
  queued?(size: number): void;
  written?(count: number): void;
  dropped?(count: number, reason: 'queue-full' | 'refused' | 'closed'): void;
  /** A write failed and will be retried. */
  retried?(): void;
}

export interface CallLogWriterOptions<E> {
  sink: CallLogSink<E>;
  /** Most events kept in memory (default 50 000). */
  maxQueued?: number;
  /** Most events per transaction (default 200). */
  batchSize?: number;
  /** How long an idle writer lets events gather before writing (default 0: at once). */
  gatherMs?: number;
  /** First retry delay (default 200 ms), doubled up to `maxRetryDelayMs` (default 5 s). */
  initialRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Time `close()` spends on the final flush (default 5 s). */
  closeTimeoutMs?: number;
  /** Whether an error means "this event will never be accepted" (default: `isPermanentDbError`). */
  isPermanent?: (err: unknown) => boolean;
  /** For logs: a short description of an event (never secrets). */
  describe?: (event: E) => Record<string, unknown>;
  logger?: Logger;
  metrics?: CallLogWriterMetrics;
}

/**
 * Errors that retrying cannot fix: the store's own refusals and Postgres
 * SQLSTATE classes 22 (data exception), 23 (integrity constraint) and 42
 * (syntax error or access rule violation). Everything else (connection
 * errors, class 08, 53, 57, 40…) is taken as transient.
 */
export function isPermanentDbError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (['ConflictError', 'ConstraintError', 'NotFoundError'].includes(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|42)[0-9A-Z]{3}$/.test(code);
}

export interface CloseResult {
  /** Events still unwritten (and now dropped) when close() gave up. */
  unwritten: number;
}

export class CallLogWriter<E> {
  readonly #sink: CallLogSink<E>;
  readonly #maxQueued: number;
  readonly #batchSize: number;
  readonly #gatherMs: number;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #closeTimeoutMs: number;
  readonly #isPermanent: (err: unknown) => boolean;
  readonly #describe: (event: E) => Record<string, unknown>;
  readonly #logger: Logger;
  readonly #metrics: CallLogWriterMetrics;

  #queue: E[] = [];
  #writtenTotal = 0;
  #pumping: Promise<void> | null = null;
  /** Events at the head to write one at a time (after a batch was refused). */
  #oneByOne = 0;
  #failures = 0;
  #outageStartedAt = 0;
  #droppedInEpisode = 0;
  #warnedHalfFull = false;
  #gatherTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #wakeRetry: (() => void) | null = null;
  #closing = false;
  /** close() gave up: stop writing, leave the rest. */
  #abandoned = false;
  #closed: Promise<CloseResult> | null = null;

  constructor(options: CallLogWriterOptions<E>) {
    this.#sink = options.sink;
    this.#maxQueued = options.maxQueued ?? 50_000;
    this.#batchSize = options.batchSize ?? 200;
    this.#gatherMs = options.gatherMs ?? 0;
    this.#initialDelay = options.initialRetryDelayMs ?? 200;
    this.#maxDelay = options.maxRetryDelayMs ?? 5_000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.#isPermanent = options.isPermanent ?? isPermanentDbError;
    this.#describe = options.describe ?? (() => ({}));
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? {};
    if (!(this.#maxQueued >= 1 && this.#batchSize >= 1)) {
      throw new TypeError('maxQueued and batchSize must be at least 1');
    }
    if (!(this.#gatherMs >= 0)) throw new TypeError('gatherMs must not be negative');
    if (!(this.#initialDelay > 0 && this.#maxDelay >= this.#initialDelay)) {
      throw new TypeError('retry delays must be positive, max >= initial');
    }
  }

  /** Events waiting to be written. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Events written to the database since the writer started (refused and dropped ones not counted). */
  get written(): number {
    return this.#writtenTotal;
  }

  /** True while writes are failing and being retried. */
  get backingOff(): boolean {
    return this.#failures > 0;
  }

  write(event: E): void {
    if (this.#closing) {
      this.#metrics.dropped?.(1, 'closed');
      this.#logger.error({ event: this.#describe(event) }, 'call log: event after close dropped');
      return;
    }
    if (this.#queue.length >= this.#maxQueued) {
      this.#droppedInEpisode++;
      this.#metrics.dropped?.(1, 'queue-full');
      if (this.#droppedInEpisode === 1) {
        this.#logger.error(
          { maxQueued: this.#maxQueued, event: this.#describe(event) },
          'call log: queue full, dropping new events until the database catches up',
        );
      }
      return;
    }
    this.#queue.push(event);
    this.#metrics.queued?.(this.#queue.length);
    if (!this.#warnedHalfFull && this.#queue.length >= this.#maxQueued / 2) {
      this.#warnedHalfFull = true;
      this.#logger.warn(
        { queued: this.#queue.length, maxQueued: this.#maxQueued },
        'call log: queue more than half full',
      );
    }
    this.#kick();
  }

  /** Resolves when everything written so far is in the database (or refused). */
  flush(): Promise<void> {
    return this.#drained();
  }

  /** Stops accepting events, flushes for at most `closeTimeoutMs`. Safe to call twice. */
  close(): Promise<CloseResult> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<CloseResult> {
    this.#closing = true;
    this.#cancelRetryWait();
    const timers: NodeJS.Timeout[] = [];
    const after = (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push(setTimeout(resolve, ms));
      });
    try {
      await Promise.race([this.#drained(), after(this.#closeTimeoutMs)]);
      this.#abandoned = true;
      this.#cancelRetryWait();
      // A write may still be in flight: let it finish (bounded), so what it
      // wrote is not counted as lost and no work goes on after close().
      if (this.#pumping) await Promise.race([this.#pumping, after(this.#closeTimeoutMs)]);
    } finally {
      for (const t of timers) clearTimeout(t);
      this.#cancelGather();
    }
    const unwritten = this.#queue.length;
    this.#queue = [];
    if (unwritten > 0) {
      this.#metrics.dropped?.(unwritten, 'closed');
      this.#logger.error({ unwritten }, 'call log: closing with events not written');
    }
    this.#metrics.queued?.(0);
    return { unwritten };
  }

  async #drained(): Promise<void> {
    while (this.#queue.length > 0 && !this.#abandoned) {
      this.#kick(true);
      await this.#pumping;
    }
  }

  /** Starts writing, at once or after the gather window (a full batch does not wait). */
  #kick(now = false): void {
    if (this.#pumping || this.#queue.length === 0 || this.#abandoned) return;
    if (!now && this.#gatherMs > 0 && this.#queue.length < this.#batchSize) {
      this.#gatherTimer ??= setTimeout(() => {
        this.#gatherTimer = null;
        this.#kick(true);
      }, this.#gatherMs);
      return;
    }
    this.#cancelGather();
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
    });
  }

  #cancelGather(): void {
    if (this.#gatherTimer) clearTimeout(this.#gatherTimer);
    this.#gatherTimer = null;
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && !this.#abandoned) {
      const size = this.#oneByOne > 0 ? 1 : this.#batchSize;
      const batch = this.#queue.slice(0, size);
      try {
        await this.#sink.append(batch);
      } catch (err) {
        if (this.#isPermanent(err)) {
          this.#refused(batch, err);
          continue;
        }
        this.#failures++;
        this.#metrics.retried?.();
        if (this.#failures === 1) {
          this.#outageStartedAt = Date.now();
          this.#logger.warn(
            { err: errorSummary(err), queued: this.#queue.length },
            'call log: database write failed; keeping events and retrying',
          );
        }
        if (this.#abandoned) return;
        const exponent = Math.min(this.#failures - 1, 20);
        await this.#waitForRetry(Math.min(this.#maxDelay, this.#initialDelay * 2 ** exponent));
        continue;
      }
      this.#written(batch.length);
    }
  }

  #written(count: number): void {
    // The batch is still at the head: nothing else removes from the front
    // while a write is in flight (close() clears only after waiting for it;
    // if that wait timed out the queue is already empty and this is a no-op).
    this.#queue.splice(0, count);
    if (this.#oneByOne > 0) this.#oneByOne = Math.max(0, this.#oneByOne - count);
    this.#writtenTotal += count;
    this.#metrics.written?.(count);
    this.#metrics.queued?.(this.#queue.length);
    if (this.#failures > 0) {
      this.#logger.info(
        {
          retries: this.#failures,
          outageMs: Date.now() - this.#outageStartedAt,
          queued: this.#queue.length,
          droppedMeanwhile: this.#droppedInEpisode,
        },
        'call log: database writes succeed again',
      );
      this.#failures = 0;
    }
    if (this.#queue.length < this.#maxQueued / 2) {
      this.#warnedHalfFull = false;
      if (this.#droppedInEpisode > 0) {
        this.#logger.warn({ dropped: this.#droppedInEpisode }, 'call log: queue has room again');
        this.#droppedInEpisode = 0;
      }
    }
  }

  #refused(batch: E[], err: unknown): void {
    if (batch.length > 1) {
      // One of them is bad; find it by writing them one at a time.
      this.#oneByOne = batch.length;
      return;
    }
    const [event] = batch;
    this.#queue.shift();
    if (this.#oneByOne > 0) this.#oneByOne--;
    this.#metrics.dropped?.(1, 'refused');
    this.#metrics.queued?.(this.#queue.length);
    this.#logger.error(
      { err: errorSummary(err), event: event === undefined ? {} : this.#describe(event) },
      'call log: event refused by the database, dropped',
    );
  }

  #waitForRetry(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeRetry = resolve;
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#wakeRetry = null;
        resolve();
      }, ms);
    });
  }

  /** Ends a backoff wait at once (close() wants its final attempt now). */
  #cancelRetryWait(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const wake = this.#wakeRetry;
    this.#wakeRetry = null;
    wake?.();
  }
}

function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message.slice(0, 200),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { message: String(err).slice(0, 200) };
}
