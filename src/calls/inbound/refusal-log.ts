/**
 * Log lines for refused INVITEs (403 stranger, 404 unknown number, 503 while
 * shutting down), limited per source address so that a flood of INVITEs does
 * not become a flood of log lines.
 *
 * - The first refusal from an address is logged in full (info).
 * - Further refusals from it are only counted; every `summaryEveryMs` one
 *   line per address sums them up (count, reasons, the last SIP Call-ID).
 * - An address that sent nothing during a whole period is forgotten, so its
 *   next refusal is logged in full again.
 * - At most `maxSources` addresses are remembered; refusals from further
 *   addresses go into one shared count, summed up in the same period.
 *
 * Every refusal is counted through `counted` (the Prometheus counter) whether
 * or not it is logged. One timer, armed while anything is remembered, owned
 * here and cleared by `close()`.
 */
import type { Logger } from '../ports/index.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';

/** Why an INVITE was refused, as counted in the metric's `reason` label. */
export type RefusalReason =
  | 'unknown-source'
  | 'no-dialled-number'
  | 'unknown-number'
  | 'shutting-down';

const REASONS: Record<string, RefusalReason> = {
  'unknown source': 'unknown-source',
  'no dialled number': 'no-dialled-number',
  'unknown number': 'unknown-number',
};

/** The metric's reason for admission's `why` (an unknown text counts as unknown-source). */
export function refusalReasonOf(why: string): RefusalReason {
  return REASONS[why] ?? 'unknown-source';
}

export interface Refusal {
  source: string;
  reason: RefusalReason;
  status: number;
  sipCallId: string;
}

export interface RefusalLogOptions {
  logger: Logger;
  scheduler: Scheduler;
  /** Period of the summary lines (default 60 s). */
  summaryEveryMs?: number;
  /** Addresses remembered at most (default 10,000). */
  maxSources?: number;
  /** Told of every refusal (metrics). */
  counted?: (reason: RefusalReason) => void;
}

interface SourceCount {
  suppressed: number;
  reasons: Partial<Record<RefusalReason, number>>;
  lastSipCallId: string;
}

export const REFUSAL_SUMMARY_EVERY_MS = 60_000;
const MAX_SOURCES = 10_000;

export class RefusalLog {
  readonly #o: RefusalLogOptions;
  readonly #every: number;
  readonly #max: number;
  readonly #sources = new Map<string, SourceCount>();
  /** Refusals from addresses beyond `maxSources`, summed up as one. */
  #others = 0;
  #cancelTimer: (() => void) | null = null;
  #closed = false;

  constructor(options: RefusalLogOptions) {
    this.#o = options;
    this.#every = options.summaryEveryMs ?? REFUSAL_SUMMARY_EVERY_MS;
    this.#max = options.maxSources ?? MAX_SOURCES;
  }

  /** Addresses currently remembered (tests: the table is bounded). */
  get sourceCount(): number {
    return this.#sources.size;
  }

  refused(r: Refusal): void {
    this.#o.counted?.(r.reason);
    if (this.#closed) return;
    const known = this.#sources.get(r.source);
    if (known) {
      known.suppressed++;
      known.reasons[r.reason] = (known.reasons[r.reason] ?? 0) + 1;
      known.lastSipCallId = r.sipCallId;
      return;
    }
    if (this.#sources.size >= this.#max) {
      this.#others++;
      this.#arm();
      return;
    }
    this.#o.logger.info(
      { source: r.source, status: r.status, why: r.reason, sipCallId: r.sipCallId },
      'inbound: refused (further refusals from this address are summed up)',
    );
    this.#sources.set(r.source, { suppressed: 0, reasons: {}, lastSipCallId: r.sipCallId });
    this.#arm();
  }

  /** Writes the pending summaries and stops the timer. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#summarize();
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#sources.clear();
  }

  #arm(): void {
    if (this.#cancelTimer || this.#closed) return;
    this.#cancelTimer = this.#o.scheduler.schedule(this.#every, () => {
      this.#cancelTimer = null;
      this.#summarize();
      if (this.#sources.size > 0) this.#arm();
    });
  }

  #summarize(): void {
    for (const [source, c] of this.#sources) {
      if (c.suppressed === 0) {
        // Quiet for a whole period: its next refusal is logged in full.
        this.#sources.delete(source);
        continue;
      }
      this.#o.logger.info(
        {
          source,
          refused: c.suppressed,
          reasons: c.reasons,
          periodS: this.#every / 1000,
          lastSipCallId: c.lastSipCallId,
        },
        'inbound: refused INVITEs from this address (summary)',
      );
      c.suppressed = 0;
      c.reasons = {};
    }
    if (this.#others > 0) {
      this.#o.logger.warn(
        { refused: this.#others, periodS: this.#every / 1000, sources: this.#max },
        'inbound: refused INVITEs from further addresses (too many to tell apart)',
      );
      this.#others = 0;
    }
  }
}
