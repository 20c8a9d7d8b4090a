/**
 * Identifiers the server generates (drachtio-wire.md §7.1): 13-character
 * alphanumeric tags, `z9hG4bK` branches, UUID Call-IDs, clock-derived
 * initial CSeq numbers, and wire transaction ids. Random bytes come from a
 * pooled buffer so that each id costs no syscall.
 */
import { randomFillSync, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const pool = Buffer.allocUnsafe(4096);
let poolPos = pool.length;

function randomAlnum(n: number): string {
  if (poolPos + n > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[(pool[poolPos++] as number) % 62];
  return s;
}

export function newTag(): string {
  return randomAlnum(13);
}

export function newBranch(): string {
  return `z9hG4bK${randomAlnum(13)}`;
}

export function newCallId(): string {
  return randomUUID();
}

/** Initial CSeq for a new request: from the clock, below 2^27 like sofia's. */
export function initialCseq(): number {
  return (Math.floor(Date.now() / 100) % 2 ** 26) + 1;
}

/** Wire transaction ids: unique per server instance, no `|`. */
export class IdSource {
  private n = 0;
  private readonly prefix = randomAlnum(6);
  next(): string {
    return `${this.prefix}-${(++this.n).toString(36)}`;
  }
}
