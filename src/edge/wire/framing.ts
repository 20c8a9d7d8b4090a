/**
 * drachtio wire framing (drachtio-wire.md §1.2): ASCII decimal byte count,
 * `#`, then exactly that many bytes of UTF-8 payload. Lengths count bytes,
 * never UTF-16 units, in both directions.
 */

/** Largest frame accepted from an app (the real server's limit is ~12 KB; we are more generous). */
export const DEFAULT_MAX_FRAME = 1024 * 1024;

const HASH = 0x23;

/** One frame as bytes, ready to write to the socket. */
export function encodeFrame(payload: string): Buffer {
  const len = Buffer.byteLength(payload, 'utf8');
  const prefix = `${len}#`;
  const out = Buffer.allocUnsafe(prefix.length + len);
  out.write(prefix, 0, 'latin1');
  out.write(payload, prefix.length, 'utf8');
  return out;
}

export type DecodeResult = { frames: string[]; error?: string };

/**
 * Reassembles frames from arbitrary TCP chunks. After an error (garbage
 * length, frame too large) it stays failed: the connection must be closed.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxFrame: number = DEFAULT_MAX_FRAME) {}

  push(chunk: Buffer): DecodeResult {
    const frames: string[] = [];
    if (this.failed) return { frames, error: 'decoder failed earlier' };
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    const maxDigits = String(this.maxFrame).length;
    for (;;) {
      const hash = this.buf.indexOf(HASH, off);
      if (hash < 0) {
        // No complete length yet: anything but a few digits is garbage.
        const pending = this.buf.length - off;
        if (pending > maxDigits || !allDigits(this.buf, off, this.buf.length)) {
          return this.fail(frames, 'invalid length prefix');
        }
        break;
      }
      if (hash === off || hash - off > maxDigits || !allDigits(this.buf, off, hash)) {
        return this.fail(frames, 'invalid length prefix');
      }
      const len = Number(this.buf.toString('latin1', off, hash));
      if (len <= 0 || len > this.maxFrame) return this.fail(frames, `invalid frame length ${len}`);
      const end = hash + 1 + len;
      if (end > this.buf.length) break;
      frames.push(this.buf.toString('utf8', hash + 1, end));
      off = end;
    }
    this.buf = off === 0 ? this.buf : this.buf.subarray(off);
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return { frames };
  }

  private fail(frames: string[], error: string): DecodeResult {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    return { frames, error };
  }
}

function allDigits(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
