/**
 * Identifiers the server generates (drachtio-wire.md §7.1): 13-character
 * alphanumeric tags, `z9hG4bK` branches, UUID Call-IDs, clock-derived
 * initial CSeq numbers, RSeq starts, wire transaction and frame ids. They
 * come from one `SipIds`, passed in (random ones by default), so that
 * nothing in edge draws randomness on its own.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import { type Clock, systemClock } from './timers.ts';

export interface SipIds {
  /** A From/To tag. */
  tag(): string;
  /** A Via branch (with the RFC 3261 magic cookie). */
  branch(): string;
  callId(): string;
  /** The CSeq number of a new out-of-dialog request. */
  initialCseq(): number;
  /** The RSeq before the first reliable provisional of a request (RFC 3262 §7.1). */
  rseqBase(): number;
  /** Ids for the wire (transaction ids, frame ids): unique per server instance, no `|`. */
  wireIds(): () => string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Random ids. Random bytes come from a pooled buffer so that each id costs
 * no syscall.
 */
export class RandomIds implements SipIds {
  private readonly pool = Buffer.allocUnsafe(4096);
  private poolPos = this.pool.length;

  constructor(private readonly clock: Clock = systemClock) {}

  private alnum(n: number): string {
    if (this.poolPos + n > this.pool.length) {
      randomFillSync(this.pool);
      this.poolPos = 0;
    }
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM[(this.pool[this.poolPos++] as number) % 62];
    return s;
  }

  tag(): string {
    return this.alnum(13);
  }

  branch(): string {
    return `z9hG4bK${this.alnum(13)}`;
  }

  callId(): string {
    return randomUUID();
  }

  /** From the clock, below 2^27 like sofia's. */
  initialCseq(): number {
    return (Math.floor(this.clock.now() / 100) % 2 ** 26) + 1;
  }

  rseqBase(): number {
    if (this.poolPos + 4 > this.pool.length) {
      randomFillSync(this.pool);
      this.poolPos = 0;
    }
    const n = this.pool.readUInt32LE(this.poolPos) % 2 ** 30;
    this.poolPos += 4;
    return n;
  }

  wireIds(): () => string {
    const prefix = this.alnum(6);
    let n = 0;
    return () => `${prefix}-${(++n).toString(36)}`;
  }
}
