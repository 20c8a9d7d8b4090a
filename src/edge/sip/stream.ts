/**
 * Message framing on stream transports (TCP, TLS): RFC 3261 §18.3 — the
 * header section ends at the first empty line and the body is exactly
 * Content-Length octets, which is mandatory on streams.
 *
 * Between messages, CRLFs are skipped (§7.5); a double CRLF is the RFC 5626
 * §3.5.1 keep-alive "ping", reported as a `ping` item so the transport answers
 * with a single CRLF "pong".
 *
 * A framing error (header section too large, missing, repeated, negative or
 * overlarge Content-Length) cannot be recovered from, because the next
 * message's start cannot be found (RFC 4475 §3.1.2.3, §3.3.9). It is
 * reported once as an `error` item — with the request's start line and
 * headers when they were readable, so the transport can answer 400 first —
 * and the framer then ignores all further input: the transport must close the
 * connection. A message that is framed correctly but fails to parse is a
 * `message` item with a failed `result`; the connection stays usable.
 *
 * A body that never completes (RFC 4475 §3.1.2.2 over TCP) simply waits: the
 * transport closes idle connections whose `bufferedBytes` stays non-zero.
 */

import type { FailedRequest, ParseResult } from './parse.ts';
import {
  DEFAULT_MAX_HEADERS,
  findHeaderEnd,
  isContentLengthName,
  parseContentLength,
  parseSipMessage,
} from './parse.ts';
import { trimWs } from './syntax.ts';

export interface StreamFramerOptions {
  /** Largest header section (start line + headers + empty line) in octets. Default 32768. */
  maxHeaderBytes?: number;
  /** Largest whole message in octets. Default 65535 + maxHeaderBytes... see DEFAULT_STREAM_MAX_SIZE. */
  maxSize?: number;
  /** Maximum header fields per message. Default 256. */
  maxHeaders?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 32768;
export const DEFAULT_STREAM_MAX_SIZE = 131072;

export type FramerItem =
  /** One complete message (exactly its bytes) and the parse result. */
  | { kind: 'message'; bytes: Buffer; result: ParseResult }
  /** CRLF CRLF keep-alive received: answer with one CRLF (RFC 5626 §3.5.1). */
  | { kind: 'ping' }
  /** Unrecoverable framing error: answer `status` to `request` if present, then close. */
  | { kind: 'error'; error: string; status: number; request?: FailedRequest };

const EMPTY = Buffer.alloc(0);

export class SipStreamFramer {
  private buf: Buffer = EMPTY;
  /** Growable backing store for `buf` once several chunks had to be joined. */
  private store: Buffer | undefined;
  /** Where to resume looking for the end of the header section. */
  private scanFrom = 0;
  /** Total length of the message being received, once its header section is known. */
  private expected = -1;
  /** LFs seen between messages, for keep-alive detection. */
  private gapLf = 0;
  private dead = false;
  private readonly maxHeaderBytes: number;
  private readonly maxSize: number;
  private readonly maxHeaders: number;

  constructor(opts: StreamFramerOptions = {}) {
    this.maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxSize = opts.maxSize ?? DEFAULT_STREAM_MAX_SIZE;
    this.maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  /** Octets received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  /** True after a framing error: the connection must be closed. */
  get failed(): boolean {
    return this.dead;
  }

  /** Feed received bytes; returns the items completed by them, in order. Never throws. */
  push(chunk: Buffer): FramerItem[] {
    const out: FramerItem[] = [];
    if (this.dead || chunk.length === 0) return out;
    this.append(chunk);
    for (;;) {
      if (this.expected < 0) {
        if (!this.skipGap(out)) break;
        const end = findHeaderEnd(
          this.buf,
          this.scanFrom,
          Math.min(this.buf.length, this.maxHeaderBytes),
        );
        if (!end) {
          if (this.buf.length > this.maxHeaderBytes) {
            this.fail(out, `header section larger than ${this.maxHeaderBytes} octets`, 513);
            break;
          }
          // Resume a little before the end: the terminator may straddle chunks.
          this.scanFrom = Math.max(0, this.buf.length - 4);
          break;
        }
        const cl = this.contentLength(end.headEnd);
        if (typeof cl === 'string') {
          this.fail(out, cl, 400, end.bodyStart);
          break;
        }
        if (end.bodyStart + cl > this.maxSize) {
          this.fail(out, `message larger than ${this.maxSize} octets`, 513, end.bodyStart);
          break;
        }
        this.expected = end.bodyStart + cl;
      }
      if (this.buf.length < this.expected) break;
      const bytes = this.buf.subarray(0, this.expected);
      this.buf = this.buf.length === this.expected ? EMPTY : this.buf.subarray(this.expected);
      this.expected = -1;
      this.scanFrom = 0;
      const result = parseSipMessage(bytes, {
        datagram: false,
        maxSize: this.maxSize,
        maxHeaders: this.maxHeaders,
      });
      out.push({ kind: 'message', bytes, result });
    }
    return out;
  }

  /**
   * Add received bytes to `buf`. The first chunk is used as is (no copy);
   * later ones go into a private store with spare room that doubles when
   * full, so a peer trickling bytes costs amortised O(n), not O(n²) as
   * concatenating on every chunk would. Bytes already handed out as messages
   * lie before `buf` and are never overwritten.
   */
  private append(chunk: Buffer): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const s = this.store;
    if (s !== undefined && this.buf.buffer === s.buffer) {
      const end = this.buf.byteOffset - s.byteOffset + this.buf.length;
      if (end + chunk.length <= s.length) {
        chunk.copy(s, end);
        this.buf = s.subarray(end - this.buf.length, end + chunk.length);
        return;
      }
    }
    const need = this.buf.length + chunk.length;
    const fresh = Buffer.allocUnsafeSlow(Math.max(need * 2, 4096));
    this.buf.copy(fresh, 0);
    chunk.copy(fresh, this.buf.length);
    this.store = fresh;
    this.buf = fresh.subarray(0, need);
  }

  /**
   * Skip CR/LF before a start line, reporting a ping for each CRLF CRLF.
   * Returns false when the buffer is exhausted.
   */
  private skipGap(out: FramerItem[]): boolean {
    let i = 0;
    const b = this.buf;
    while (i < b.length && (b[i] === 13 || b[i] === 10)) {
      if (b[i] === 10 && ++this.gapLf === 2) {
        out.push({ kind: 'ping' });
        this.gapLf = 0;
      }
      i++;
    }
    if (i > 0) {
      this.buf = i === b.length ? EMPTY : b.subarray(i);
      this.scanFrom = 0;
    }
    if (this.buf.length === 0) return false;
    this.gapLf = 0; // a message starts
    return true;
  }

  /** Content-Length of the header section `[0, headEnd)`, or a description of the framing error. */
  private contentLength(headEnd: number): number | string {
    const head = this.buf.toString('latin1', 0, headEnd);
    let count = 0;
    let value = '';
    let inCl = false;
    let pos = head.indexOf('\n') + 1; // skip the start line
    if (pos === 0) pos = head.length;
    while (pos < head.length) {
      let end = head.indexOf('\n', pos);
      if (end < 0) end = head.length;
      const line = head.slice(pos, end);
      pos = end + 1;
      const c = line.charCodeAt(0);
      if (c === 32 || c === 9) {
        if (inCl) value += trimWs(line.replace(/\r$/, ''));
        continue;
      }
      const colon = line.indexOf(':');
      inCl = colon > 0 && isContentLengthName(trimWs(line.slice(0, colon)));
      if (inCl) {
        count++;
        value = trimWs(line.slice(colon + 1).replace(/\r$/, ''));
      }
    }
    if (count === 0) return 'Content-Length is mandatory on stream transports';
    if (count > 1) return 'more than one Content-Length header';
    return parseContentLength(value, this.maxSize);
  }

  /** Report a fatal framing error (with what can be read of the request) and stop. */
  private fail(out: FramerItem[], error: string, status: number, headLength?: number): void {
    const item: FramerItem = { kind: 'error', error, status };
    if (headLength !== undefined) {
      // Parse the header section alone to recover the request for the answer.
      const r = parseSipMessage(this.buf.subarray(0, headLength), {
        datagram: true,
        maxSize: Number.MAX_SAFE_INTEGER,
        maxHeaders: this.maxHeaders,
      });
      if (r.ok && r.message.kind === 'request') {
        item.request = { method: r.message.method, uri: r.message.uri, headers: r.message.headers };
      } else if (!r.ok && r.request) {
        item.request = r.request;
      }
    }
    out.push(item);
    this.dead = true;
    this.buf = EMPTY;
    this.store = undefined;
  }
}
