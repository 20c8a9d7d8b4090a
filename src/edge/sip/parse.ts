/**
 * Strict SIP message parser (RFC 3261 §7 and the §25 grammar) working on
 * the raw bytes of one message.
 *
 * - Start line: `Method SP Request-URI SP SIP-Version` or
 *   `SIP-Version SP Status-Code SP Reason-Phrase`, single SPs only (§7.1, §7.2).
 * - Header lines: `name HCOLON value`, names are tokens, compared
 *   case-insensitively elsewhere (§7.3.1); continuation lines starting with SP
 *   or HTAB are folded into the previous header with one SP (§7.3.1).
 * - CRLF line ends (a bare LF is tolerated; a bare CR is an error because it
 *   could smuggle a line break into a relayed header).
 * - CRLFs before the start line are skipped (§7.5).
 * - Framing by Content-Length (§18.3, §20.14): over UDP extra octets after the
 *   body are discarded and a missing Content-Length means "the rest of the
 *   datagram"; a body shorter than Content-Length, a negative, non-numeric or
 *   repeated Content-Length is an error (RFC 4475 §3.1.2.2, §3.1.2.3, §3.3.9).
 * - The header section is decoded as UTF-8 (the charset of SIP, §7.3.1); NUL,
 *   BEL, DEL and non-ASCII text inside quoted strings survive unchanged
 *   (RFC 4475 §3.1.1.2). A header section that is not valid UTF-8 is rejected.
 * - The body is a Buffer slice of exactly Content-Length octets.
 *
 * On failure the result carries the final status a request deserves (400,
 * 505 for another SIP version, 513 for an oversize message) and, when the
 * start line was a request line, enough of it (`request`) to build that answer
 * with `buildResponse()`. Responses that fail to parse are simply dropped by
 * the caller (RFC 4475 §3.1.2.19).
 */

import { isUtf8 } from 'node:buffer';
import type { SipHeader, SipMessage } from './message.ts';
import { isToken, isWs, parseDigits, trimWs } from './syntax.ts';

export interface ParseOptions {
  /** Maximum number of header fields (after unfolding). Default 256. */
  maxHeaders?: number;
  /** Maximum size of the whole message in octets. Default 65535. */
  maxSize?: number;
  /**
   * True (default) when the bytes are one UDP datagram: a missing
   * Content-Length then means "the body is the rest of the datagram", and
   * octets beyond Content-Length are ignored. False for a message cut out of
   * a stream, where Content-Length is mandatory (§18.3).
   */
  datagram?: boolean;
  /**
   * Accept a header section that is not valid UTF-8 by reading it as
   * ISO-8859-1 (some old phones send Latin-1 display names). Default false:
   * RFC 3261 §7.3.1 mandates UTF-8, and such a request gets a 400.
   */
  latin1Fallback?: boolean;
  /**
   * The body is everything after the empty line and Content-Length is not
   * checked. For SIP text from the app over the drachtio wire protocol: the
   * frame already delimits the message, and srf counts Content-Length in
   * UTF-16 units, which is wrong for non-ASCII bodies (drachtio-wire.md §10.2,
   * §11 item 20). The serializer writes the right value back.
   */
  bodyFromRest?: boolean;
}

export const DEFAULT_MAX_SIZE = 65535;
export const DEFAULT_MAX_HEADERS = 256;

/** What is known of a request that failed to parse: enough to answer it. */
export interface FailedRequest {
  method: string;
  uri: string;
  headers: SipHeader[];
}

export interface ParseSuccess {
  ok: true;
  message: SipMessage;
}

export interface ParseFailure {
  ok: false;
  /** Human-readable reason, suitable for a log line or a Warning header. */
  error: string;
  /** Final status owed to a request (400, 505 or 513); meaningless for responses, which are dropped. */
  status: number;
  /** Present when the start line was (enough of) a request line: answer it with `status`. */
  request?: FailedRequest;
  /** True when the data was nothing but CRLFs (a keep-alive, RFC 5626 §3.5.1): ignore silently. */
  keepAlive?: boolean;
}

export type ParseResult = ParseSuccess | ParseFailure;

/**
 * Where the header section ends: `headEnd` is the index of the LF that ends
 * the last header line (the head is `[start, headEnd)`), `bodyStart` the first
 * octet after the empty line. Accepts CRLF CRLF, and bare LF endings.
 */
export function findHeaderEnd(
  buf: Buffer,
  from: number,
  to: number = buf.length,
): { headEnd: number; bodyStart: number } | undefined {
  let i = from;
  for (;;) {
    const nl = buf.indexOf(10, i);
    if (nl < 0 || nl >= to) return undefined;
    let j = nl + 1;
    if (j < to && buf[j] === 13) j++;
    if (j < to && buf[j] === 10) return { headEnd: nl, bodyStart: j + 1 };
    i = nl + 1;
  }
}

/** True for `Content-Length` and its compact form `l`, in any case. */
export function isContentLengthName(name: string): boolean {
  if (name.length === 1) return name === 'l' || name === 'L';
  return name.length === 14 && name.toLowerCase() === 'content-length';
}

/**
 * Value of a Content-Length header: 1*DIGIT (§20.14), at most `max`.
 * Returns a string describing the problem when it is not acceptable.
 */
export function parseContentLength(value: string, max: number): number | string {
  const n = parseDigits(value);
  if (Number.isNaN(n)) return `invalid Content-Length "${value.slice(0, 40)}"`;
  if (n > max) return `Content-Length ${value.slice(0, 40)} exceeds the limit of ${max} octets`;
  return n;
}

const SIP_VERSION_RE = /^SIP\/[0-9]{1,5}\.[0-9]{1,5}$/i;

/** Parse one SIP message. Never throws. */
export function parseSipMessage(data: Buffer, opts: ParseOptions = {}): ParseResult {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_SIZE;
  const maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
  const datagram = opts.datagram !== false;

  // §7.5: CRLFs preceding the start line are ignored.
  let start = 0;
  while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
  if (start === data.length) {
    return { ok: false, error: 'empty message (keep-alive)', status: 400, keepAlive: true };
  }

  let error: string | undefined;
  let status = 400;
  const setError = (msg: string, code = 400): void => {
    if (error === undefined) {
      error = msg;
      status = code;
    }
  };

  if (data.length > maxSize) setError(`message of ${data.length} octets exceeds ${maxSize}`, 513);

  const framing = findHeaderEnd(data, start);
  let headEnd: number;
  let bodyStart: number;
  if (framing) {
    headEnd = framing.headEnd;
    bodyStart = framing.bodyStart;
  } else {
    // No empty line: the header section is not terminated (RFC 4475 §3.1.2.15's
    // archive copy ends like this). Parse what is there so a 400 can be sent.
    setError('header section not terminated by an empty line');
    headEnd = data.length;
    bodyStart = data.length;
  }

  const headBytes = data.subarray(start, headEnd);
  let head: string;
  if (isUtf8(headBytes)) {
    head = headBytes.toString('utf8');
  } else {
    if (!opts.latin1Fallback) setError('header section is not valid UTF-8');
    head = headBytes.toString('latin1');
  }

  // ---- start line ---------------------------------------------------------
  let lineEnd = head.indexOf('\n');
  if (lineEnd < 0) lineEnd = head.length;
  let startLine = head.slice(0, lineEnd);
  if (startLine.endsWith('\r')) startLine = startLine.slice(0, -1);

  let isResponse = false;
  let method = '';
  let uri = '';
  let statusCode = 0;
  let reason = '';
  let haveRequestLine = false;

  if (startLine.length >= 4 && startLine.slice(0, 4).toUpperCase() === 'SIP/') {
    isResponse = true;
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2, §25.1)
    const sp = startLine.indexOf(' ');
    const version = sp < 0 ? startLine : startLine.slice(0, sp);
    const code = sp < 0 ? '' : startLine.slice(sp + 1, sp + 4);
    const after = startLine.charCodeAt(sp + 4);
    if (sp < 0 || code.length !== 3 || !/^[1-6][0-9][0-9]$/.test(code)) {
      setError('malformed Status-Line');
    } else if (!Number.isNaN(after) && after !== 32) {
      setError('malformed Status-Line (status code is not 3 digits)');
    } else if (version.toUpperCase() !== 'SIP/2.0') {
      setError(`unsupported SIP version ${version.slice(0, 20)}`, 505);
    } else {
      statusCode = Number(code);
      // The SP before an empty Reason-Phrase may be missing in the wild; accept both.
      reason = startLine.slice(sp + 5);
    }
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version (§7.1): exactly two SPs.
    const sp1 = startLine.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : startLine.indexOf(' ', sp1 + 1);
    const strict =
      sp1 > 0 &&
      sp2 > sp1 + 1 &&
      sp2 < startLine.length - 1 &&
      startLine.indexOf(' ', sp2 + 1) < 0 &&
      startLine.indexOf('\t') < 0;
    let version: string;
    if (strict) {
      method = startLine.slice(0, sp1);
      uri = startLine.slice(sp1 + 1, sp2);
      version = startLine.slice(sp2 + 1);
    } else {
      // Extra/trailing SP or HTAB (RFC 4475 §3.1.2.8-10), or a missing part:
      // reject, but recover the parts so the 400 can be built.
      setError('malformed Request-Line');
      const parts = startLine.split(/[ \t]+/).filter((p) => p.length > 0);
      method = parts[0] ?? '';
      if (parts.length >= 3) {
        version = parts[parts.length - 1] ?? '';
        uri = parts.slice(1, -1).join(' ');
      } else {
        version = '';
        uri = parts[1] ?? '';
      }
    }
    haveRequestLine = isToken(method) && uri.length > 0;
    if (!isToken(method)) setError('malformed Request-Line (method is not a token)');
    if (version.toUpperCase() !== 'SIP/2.0') {
      if (SIP_VERSION_RE.test(version)) setError(`unsupported SIP version ${version}`, 505);
      else setError('malformed Request-Line (no SIP-Version)');
    }
  }

  // ---- header fields --------------------------------------------------------
  const headers: SipHeader[] = [];
  let curName: string | undefined;
  let curValue = '';
  let clCount = 0;
  let clValue = '';
  const flush = (): void => {
    if (curName === undefined) return;
    if (isContentLengthName(curName)) {
      clCount++;
      clValue = curValue;
    }
    headers.push({ name: curName, value: curValue });
    curName = undefined;
  };

  let pos = lineEnd + 1;
  while (pos < head.length) {
    let end = head.indexOf('\n', pos);
    if (end < 0) end = head.length;
    let line = head.slice(pos, end);
    pos = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue; // only possible at the end of an unterminated head
    if (line.indexOf('\r') >= 0) {
      setError('bare CR inside a header line');
      continue;
    }
    if (isWs(line.charCodeAt(0))) {
      // LWS continuation (§7.3.1): joined to the previous value with one SP.
      if (curName === undefined) {
        setError('continuation line without a preceding header');
        continue;
      }
      const more = trimWs(line);
      if (more.length > 0) curValue = curValue.length > 0 ? `${curValue} ${more}` : more;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon < 0) {
      setError('header line without a colon');
      continue;
    }
    // HCOLON = *( SP / HTAB ) ":" SWS
    const name = trimWs(line.slice(0, colon));
    if (!isToken(name)) {
      setError(`invalid header name "${name.slice(0, 40)}"`);
      continue;
    }
    if (headers.length >= maxHeaders) {
      setError(`more than ${maxHeaders} header fields`);
      break;
    }
    curName = name;
    curValue = trimWs(line.slice(colon + 1));
  }
  flush();

  // ---- body framing (§18.3, §20.14) --------------------------------------------
  let body: Buffer = data.subarray(bodyStart, bodyStart);
  const available = data.length - bodyStart;
  if (opts.bodyFromRest) {
    body = data.subarray(bodyStart);
  } else if (clCount > 1) {
    setError('more than one Content-Length header');
  } else if (clCount === 1) {
    const cl = parseContentLength(clValue, maxSize);
    if (typeof cl === 'string') setError(cl);
    else if (cl > available)
      setError(`Content-Length ${cl} exceeds the ${available} octets received`);
    else body = data.subarray(bodyStart, bodyStart + cl);
  } else if (datagram) {
    body = data.subarray(bodyStart);
  } else {
    setError('Content-Length is mandatory on stream transports');
  }

  if (error !== undefined) {
    const failure: ParseFailure = { ok: false, error, status };
    if (!isResponse && haveRequestLine) failure.request = { method, uri, headers };
    return failure;
  }
  const message: SipMessage = isResponse
    ? { kind: 'response', version: 'SIP/2.0', status: statusCode, reason, headers, body }
    : { kind: 'request', version: 'SIP/2.0', method, uri, headers, body };
  return { ok: true, message };
}
