/**
 * Serializer and response builder.
 *
 * `serializeSipMessage` writes the start line and the header lines as stored
 * (names as written, so a received message is relayed with its compact forms
 * and order intact, drachtio-wire.md §3.2), CRLF line ends, and sets
 * Content-Length to the body's byte length (§20.14; the first Content-Length
 * line keeps its position and spelling, duplicates are dropped, one is
 * appended if missing).
 */

import { randomBytes } from 'node:crypto';
import { BRANCH_COOKIE, type HasHeaders } from './headers.ts';
import type { SipHeader, SipMessage, SipResponse } from './message.ts';
import { headerKey } from './names.ts';
import { isContentLengthName } from './parse.ts';

/** The start line of a message, without CRLF. */
export function startLine(msg: SipMessage): string {
  return msg.kind === 'request'
    ? `${msg.method} ${msg.uri} ${msg.version}`
    : `${msg.version} ${msg.status} ${msg.reason}`;
}

/** Serialize a message to bytes. Header values must not contain CR or LF (they are not checked here). */
export function serializeSipMessage(msg: SipMessage): Buffer {
  let head = `${startLine(msg)}\r\n`;
  let haveLength = false;
  for (const h of msg.headers) {
    if (isContentLengthName(h.name)) {
      if (haveLength) continue;
      haveLength = true;
      head += `${h.name}: ${msg.body.length}\r\n`;
    } else {
      head += `${h.name}: ${h.value}\r\n`;
    }
  }
  if (!haveLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLen);
  return out;
}

/** A random tag for From/To (§19.3: at least 32 bits of randomness). */
export function generateTag(): string {
  return randomBytes(6).toString('hex');
}

/** A random RFC 3261 branch: the magic cookie plus 64 random bits (§8.1.1.7). */
export function generateBranch(): string {
  return BRANCH_COOKIE + randomBytes(8).toString('hex');
}

export interface BuildResponseOptions {
  /**
   * To tag to add when the request's To has none (§8.2.6.2). Default: a fresh
   * random tag, except for 100 Trying, which gets none.
   */
  toTag?: string;
  body?: Buffer;
}

/**
 * Build a response to a request (§8.2.6.2): Via lines (all, in order), From,
 * To (with a tag added when missing), Call-ID and CSeq copied verbatim; then
 * `extraHeaders`. Works on a `FailedRequest` too, to answer a request that did
 * not parse (headers that are missing are simply left out).
 */
export function buildResponse(
  request: HasHeaders,
  status: number,
  reason: string,
  extraHeaders: readonly SipHeader[] = [],
  opts: BuildResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  const copy = (key: string, canonical: string, all: boolean): void => {
    for (const h of request.headers) {
      if (headerKey(h.name) !== key) continue;
      headers.push({ name: canonical, value: h.value });
      // From, Call-ID and CSeq are single-valued: copy only the first one, so
      // the answer to a request with duplicates (RFC 4475 §3.3.8) is well formed.
      if (!all) return;
    }
  };
  copy('via', 'Via', true);
  copy('from', 'From', false);
  for (const h of request.headers) {
    if (headerKey(h.name) !== 'to') continue;
    let value = h.value;
    if (status > 100 && !hasTagParam(value)) {
      value = `${value};tag=${opts.toTag ?? generateTag()}`;
    } else if (status === 100 && opts.toTag !== undefined && !hasTagParam(value)) {
      value = `${value};tag=${opts.toTag}`;
    }
    headers.push({ name: 'To', value });
    break;
  }
  copy('call-id', 'Call-ID', false);
  copy('cseq', 'CSeq', false);
  for (const h of extraHeaders) headers.push(h);
  return {
    kind: 'response',
    version: 'SIP/2.0',
    status,
    reason,
    headers,
    body: opts.body ?? Buffer.alloc(0),
  };
}

/**
 * True when a From/To value carries a `tag` parameter. Looks only after the
 * closing `>` for name-addr, or after the first `;` for addr-spec, so a `tag`
 * inside the URI does not count.
 */
export function hasTagParam(value: string): boolean {
  const gt = value.lastIndexOf('>');
  const from = gt >= 0 ? gt + 1 : Math.max(0, value.indexOf(';'));
  return /;\s*tag\s*=/i.test(value.slice(from));
}
