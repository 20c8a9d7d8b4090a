/**
 * Semantic checks on a parsed request, in the order of RFC 3261 §8.2 (UAS
 * behaviour): structure of the mandatory headers (400), method inspection
 * (501), header inspection (416 for the Request-URI scheme, 420 for unknown
 * Require option tags), content
 * processing (406 when Accept rules out SDP for an INVITE). The transaction/UA
 * layer calls `validateRequest` for every new request and, when it returns a
 * verdict, answers with `buildResponse(req, status, reason, headers)`.
 *
 * Responses are checked by `validateResponse`; a response that fails is
 * dropped (RFC 4475 §3.1.2.5, §3.1.2.19).
 */

import {
  getHeader,
  getHeaders,
  parseContactList,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseViaList,
} from './headers.ts';
import type { SipHeader, SipRequest, SipResponse } from './message.ts';
import { headerKey } from './names.ts';
import { isDigit, trimWs } from './syntax.ts';

export interface Verdict {
  status: number;
  reason: string;
  /** Headers to add to the response (Allow for 501, Unsupported for 420, ...). */
  headers?: SipHeader[];
  /** Short explanation for logs (and a Warning header, if the caller wants one). */
  detail: string;
}

/** Methods the server knows (RFC 3261 and the usual extensions drachtio apps route). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

export interface ValidateOptions {
  /** Methods accepted; others get 501 Not Implemented with Allow (§8.2.1). Default KNOWN_METHODS. */
  knownMethods?: ReadonlySet<string>;
  /** Request-URI schemes accepted; others get 416 (§8.2.2.1). Default sip, sips, tel. */
  uriSchemes?: ReadonlySet<string>;
  /** Option tags the server supports; a Require with others gets 420 (§8.2.2.3). */
  supportedOptions?: ReadonlySet<string>;
  /** Answer 406 to an INVITE whose Accept excludes application/sdp (RFC 4475 §3.3.15). Default true. */
  requireSdpAccept?: boolean;
}

const DEFAULT_SCHEMES: ReadonlySet<string> = new Set(['sip', 'sips', 'tel']);
/** Option tags the embedded server can honour or pass through to drachtio apps. */
export const DEFAULT_SUPPORTED_OPTIONS: ReadonlySet<string> = new Set([
  '100rel',
  'timer',
  'replaces',
  'path',
  'outbound',
  'gruu',
  'norefersub',
]);

const bad = (detail: string): Verdict => ({ status: 400, reason: 'Bad Request', detail });

/**
 * Check a parsed request. Returns the final response owed when the request
 * must be rejected, or undefined when it may be processed.
 */
export function validateRequest(req: SipRequest, opts: ValidateOptions = {}): Verdict | undefined {
  // ---- structure: 400 -------------------------------------------------------------
  const problem = checkPresence(req);
  if (problem !== undefined) return bad(problem);
  const callId = getHeader(req, 'call-id') ?? '';
  if (!isCallId(callId)) return bad('malformed Call-ID');
  const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
  if (!cseq) return bad('malformed CSeq');
  if (!parseViaList(req)) return bad('malformed Via');
  const from = parseNameAddr(getHeader(req, 'from') ?? '');
  if (!from) return bad('malformed From');
  const to = parseNameAddr(getHeader(req, 'to') ?? '');
  if (!to) return bad('malformed To');
  const maxForwards = getHeader(req, 'max-forwards');
  if (maxForwards !== undefined && !isDigits(maxForwards)) return bad('malformed Max-Forwards');
  for (const value of getHeadersRaw(req, 'contact')) {
    if (!parseContactList(value)) return bad('malformed Contact');
  }
  for (const name of ['route', 'record-route'] as const) {
    for (const value of getHeaders(req, name)) {
      if (!parseNameAddr(value)) return bad(`malformed ${name}`);
    }
  }
  const date = getHeader(req, 'date');
  if (date !== undefined && !isRfc1123Date(date)) return bad('malformed Date (RFC 1123, GMT only)');
  const ruri = parseUri(req.uri);
  if (!ruri) return bad('malformed Request-URI');
  if (Object.keys(ruri.headers).length > 0) {
    // §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
    return bad('Request-URI carries URI headers');
  }

  // ---- method inspection: 501 (§8.2.1) ------------------------------------------------
  const known = opts.knownMethods ?? KNOWN_METHODS;
  if (!known.has(req.method)) {
    return {
      status: 501,
      reason: 'Not Implemented',
      headers: [{ name: 'Allow', value: [...known].join(', ') }],
      detail: `method ${req.method} not implemented`,
    };
  }
  if (cseq.method !== req.method) return bad('CSeq method does not match the request method');

  // ---- header inspection (§8.2.2) ---------------------------------------------------
  const schemes = opts.uriSchemes ?? DEFAULT_SCHEMES;
  if (!schemes.has(ruri.scheme)) {
    return {
      status: 416,
      reason: 'Unsupported URI Scheme',
      detail: `Request-URI scheme ${ruri.scheme} not supported`,
    };
  }
  // A REGISTER whose To is not a SIP or SIPS address-of-record (RFC 4475
  // §3.3.4) is well-formed: refusing it is the registrar's decision, i.e. the
  // app's, as with drachtio-server.
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    // §8.2.2.3: never 420 an ACK or CANCEL.
    const supported = opts.supportedOptions ?? DEFAULT_SUPPORTED_OPTIONS;
    const unsupported = getHeaders(req, 'require').filter(
      (tag) => tag.length > 0 && !supported.has(tag.toLowerCase()),
    );
    if (unsupported.length > 0) {
      return {
        status: 420,
        reason: 'Bad Extension',
        headers: [{ name: 'Unsupported', value: unsupported.join(', ') }],
        detail: `unsupported option tags: ${unsupported.join(', ')}`,
      };
    }
  }

  // ---- content processing (§8.2.3) ---------------------------------------------------
  if (req.method === 'INVITE' && opts.requireSdpAccept !== false) {
    const accept = getHeaders(req, 'accept');
    if (accept.length > 0 && !accept.some(acceptsSdp)) {
      return {
        status: 406,
        reason: 'Not Acceptable',
        headers: [{ name: 'Accept', value: 'application/sdp' }],
        detail: 'Accept does not allow application/sdp',
      };
    }
  }
  return undefined;
}

/**
 * Check a parsed response. Returns a reason to drop it, or undefined.
 * Responses with malformed mandatory headers cannot be matched safely.
 */
export function validateResponse(res: SipResponse): string | undefined {
  const problem = checkPresence(res);
  if (problem !== undefined) return problem;
  if (!parseCSeq(getHeader(res, 'cseq') ?? '')) return 'malformed CSeq';
  if (!parseViaList(res)) return 'malformed Via';
  if (!parseNameAddr(getHeader(res, 'from') ?? '')) return 'malformed From';
  if (!parseNameAddr(getHeader(res, 'to') ?? '')) return 'malformed To';
  return undefined;
}

/**
 * Mandatory headers present (Via, From, To, Call-ID, CSeq, §8.1.1; not
 * Max-Forwards, which RFC 2543 peers omit, RFC 4475 §3.4.1) and the
 * single-valued ones not repeated (RFC 4475 §3.3.8), in one pass over the
 * header list: this runs for every message.
 */
function checkPresence(msg: SipRequest | SipResponse): string | undefined {
  let callId = 0;
  let from = 0;
  let to = 0;
  let cseq = 0;
  let via = 0;
  let maxForwards = 0;
  for (const h of msg.headers) {
    switch (headerKey(h.name)) {
      case 'call-id':
        callId++;
        break;
      case 'from':
        from++;
        break;
      case 'to':
        to++;
        break;
      case 'cseq':
        cseq++;
        break;
      case 'via':
        via++;
        break;
      case 'max-forwards':
        maxForwards++;
        break;
    }
  }
  if (callId === 0) return 'missing call-id header';
  if (from === 0) return 'missing from header';
  if (to === 0) return 'missing to header';
  if (cseq === 0) return 'missing cseq header';
  if (via === 0) return 'missing via header';
  if (callId > 1) return 'more than one call-id header';
  if (from > 1) return 'more than one from header';
  if (to > 1) return 'more than one to header';
  if (cseq > 1) return 'more than one cseq header';
  if (maxForwards > 1) return 'more than one max-forwards header';
  return undefined;
}

/** Header values per line, not split (Contact lists are split by parseContactList itself). */
function getHeadersRaw(req: SipRequest, name: string): string[] {
  const out: string[] = [];
  for (const h of req.headers) if (headerKey(h.name) === name) out.push(h.value);
  return out;
}

/** callid = word [ "@" word ] (§25.1): non-empty, no whitespace, no controls. */
function isCallId(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 32 || c === 127) return false;
  }
  return true;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

const RFC1123 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/** SIP-date = rfc1123-date, and only "GMT" is allowed as the zone (§20.17, RFC 4475 §3.1.2.12). */
export function isRfc1123Date(value: string): boolean {
  return RFC1123.test(trimWs(value));
}

/** True when an Accept element admits application/sdp (`*\/*`, `application/*`, `application/sdp`). */
function acceptsSdp(element: string): boolean {
  const semi = element.indexOf(';');
  const range = trimWs(semi < 0 ? element : element.slice(0, semi)).toLowerCase();
  return (
    range === '*/*' || range === 'application/*' || range === 'application/sdp' || range === ''
  );
}
