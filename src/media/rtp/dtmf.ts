/**
 * RFC 4733 telephone-events: turning received event packets into one digit
 * per key press, and producing event packets for digits to send.
 *
 * Payload: event (8 bits), E (end) bit, R bit, volume (6 bits), duration
 * (16 bits, in timestamp units). Every packet of one press carries the same
 * RTP timestamp (the press's start); the end packet is sent three times.
 */

const DIGITS = '0123456789*#ABCD';
const SAMPLES_PER_MS = 8;

export function eventToDigit(event: number): string | undefined {
  return DIGITS[event];
}

export function digitToEvent(digit: string): number | undefined {
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i >= 0 ? i : undefined;
}

export interface Press {
  digit: string;
  durationMs: number;
}

export type EventResult = { kind: 'malformed' } | { kind: 'ok'; presses: Press[] };

/** Receives event packets of one stream; reports each press once, at its first end packet. */
export class DtmfReceiver {
  /** The press whose end has not arrived yet. */
  #open: { timestamp: number; event: number; duration: number } | undefined;
  /** Timestamp of the last press reported, so its retransmitted end packets are ignored. */
  #lastReported: number | undefined;

  onPacket(timestamp: number, payload: Buffer): EventResult {
    if (payload.length < 4) return { kind: 'malformed' };
    const event = payload[0]!;
    const end = (payload[1]! & 0x80) !== 0;
    const duration = payload.readUInt16BE(2);
    const presses: Press[] = [];
    if (timestamp === this.#lastReported) return { kind: 'ok', presses };
    const open = this.#open;
    if (open && open.timestamp !== timestamp) {
      // A new press began while the previous one never ended (all its end packets lost): report it now.
      this.#report(open.timestamp, open.event, open.duration, presses);
      this.#open = undefined;
    }
    if (end) {
      this.#report(timestamp, event, duration, presses);
      this.#open = undefined;
    } else {
      this.#open = { timestamp, event, duration: Math.max(duration, this.#open?.duration ?? 0) };
    }
    return { kind: 'ok', presses };
  }

  #report(timestamp: number, event: number, duration: number, into: Press[]): void {
    this.#lastReported = timestamp;
    const digit = eventToDigit(event);
    if (digit !== undefined)
      into.push({ digit, durationMs: Math.round(duration / SAMPLES_PER_MS) });
  }
}

/** One event packet to send in place of an audio frame. */
export interface EventPacket {
  marker: boolean;
  timestamp: number;
  payload: Buffer;
}

const END_REPEATS = 3;
const GAP_TICKS = 3; // audio frames between two digits
const VOLUME = 10; // -10 dBm0

/** Produces event packets, one per 20 ms tick, for queued digits. */
export class DtmfSender {
  readonly #queue: { event: number; samples: number }[] = [];
  #active:
    | { event: number; samples: number; start: number; sent: number; ends: number }
    | undefined;
  #gap = 0;

  get busy(): boolean {
    return this.#active !== undefined || this.#queue.length > 0;
  }

  /** Queues digits; characters that are not DTMF digits are skipped. */
  enqueue(digits: string, durationMs: number): void {
    for (const ch of digits) {
      const event = digitToEvent(ch);
      if (event !== undefined)
        this.#queue.push({ event, samples: Math.max(40, durationMs) * SAMPLES_PER_MS });
    }
  }

  clear(): void {
    this.#queue.length = 0;
    this.#active = undefined;
    this.#gap = 0;
  }

  /** The packet for this tick (whose audio timestamp is `timestamp`), or undefined to send audio. */
  next(timestamp: number, frameSamples: number): EventPacket | undefined {
    if (!this.#active) {
      if (this.#gap > 0) {
        this.#gap--;
        return undefined;
      }
      const queued = this.#queue.shift();
      if (!queued) return undefined;
      this.#active = { ...queued, start: timestamp, sent: 0, ends: 0 };
    }
    const a = this.#active;
    const first = a.sent === 0 && a.ends === 0;
    a.sent = Math.min(a.samples, a.sent + frameSamples);
    const end = a.sent >= a.samples;
    const payload = Buffer.alloc(4);
    payload[0] = a.event;
    payload[1] = (end ? 0x80 : 0) | VOLUME;
    payload.writeUInt16BE(Math.min(a.sent, 0xffff), 2);
    if (end && ++a.ends >= END_REPEATS) {
      this.#active = undefined;
      this.#gap = GAP_TICKS;
    }
    return { marker: first, timestamp: a.start, payload };
  }
}
