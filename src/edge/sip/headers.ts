/**
 * Header lookup (case-insensitive, compact forms) and structured parsers for
 * the headers the server itself interprets: Via, From/To/Contact/Route
 * (name-addr), CSeq. All parsers return `undefined` on a syntax error and
 * never throw.
 */

import type { SipHeader } from './message.ts';
import { canonicalHeaderName, headerKey, isListHeader } from './names.ts';
import {
  isDigit,
  isTokenChar,
  isWs,
  newParams,
  type Params,
  parseDigits,
  parseParams,
  scanQuoted,
  skipWs,
  splitList,
  trimWs,
  unquote,
} from './syntax.ts';
import { type ParsedUri, parseUri, scanHostPort } from './uri.ts';

export { canonicalHeaderName, headerKey, isListHeader } from './names.ts';
export { type Params, splitList, unquote } from './syntax.ts';
export { isSipScheme, type ParsedUri, parseUri } from './uri.ts';

/** Anything with a header list: a parsed message or a `FailedRequest`. */
export interface HasHeaders {
  headers: readonly SipHeader[];
}

// ---- lookup -------------------------------------------------------------------

/** Value of the first header line named `name` (any case, compact form or long form). */
export function getHeader(msg: HasHeaders, name: string): string | undefined {
  const key = headerKey(name);
  for (const h of msg.headers) if (nameMatches(h.name, key)) return h.value;
  return undefined;
}

/**
 * True when a header name (any spelling) has the lookup key `key` (from
 * `headerKey`). Compares lengths first so most mismatches cost no allocation;
 * this runs for every header on every lookup on the hot path.
 */
export function nameMatches(name: string, key: string): boolean {
  if (name.length === 1) return headerKey(name) === key;
  return name.length === key.length && (name === key || name.toLowerCase() === key);
}

/** True when at least one header line has this name. */
export function hasHeader(msg: HasHeaders, name: string): boolean {
  return getHeader(msg, name) !== undefined;
}

/**
 * All values of a header in order. For list headers (Via, Contact, Route,
 * Record-Route, Allow, Supported, Require, ...) each line is split on the
 * commas that separate elements (not inside quotes or `<>`), so
 * `v: a, b` + `Via: c` gives `['a', 'b', 'c']`. Other headers (e.g.
 * WWW-Authenticate, Date) give one value per line. A line whose quotes or
 * brackets do not balance is returned unsplit.
 */
export function getHeaders(msg: HasHeaders, name: string): string[] {
  const key = headerKey(name);
  const split = isListHeader(key);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (!nameMatches(h.name, key)) continue;
    if (!split || h.value.indexOf(',') < 0) out.push(h.value);
    else {
      const parts = splitList(h.value);
      if (parts === undefined) out.push(h.value);
      else for (const p of parts) out.push(p); // no spread: a line may hold thousands of values
    }
  }
  return out;
}

/** Number of header lines with this name (before comma splitting). */
export function countHeaderLines(msg: HasHeaders, name: string): number {
  const key = headerKey(name);
  let n = 0;
  for (const h of msg.headers) if (nameMatches(h.name, key)) n++;
  return n;
}

// ---- Via (RFC 3261 §20.42, §18.2.1) ----------------------------------------------

export interface Via {
  /** protocol-name, normally `SIP`. */
  protocol: string;
  /** protocol-version, normally `2.0`. */
  version: string;
  /** Transport, upper-cased (`UDP`, `TCP`, `TLS`, `SCTP`, or any token — RFC 4475 §3.1.1.10). */
  transport: string;
  /** sent-by host as written (IPv6 with brackets). */
  host: string;
  port?: number;
  /** All via-params, lower-cased names, in order. */
  params: Params;
  branch?: string;
  received?: string;
  /** `null` when `rport` is present without a value (RFC 3581), a number when filled in. */
  rport?: number | null;
  maddr?: string;
  ttl?: number;
}

/**
 * Parse one via-parm: `sent-protocol LWS sent-by *( SEMI via-params )`,
 * with LWS allowed around `/`, `:`, `;` and `=` (RFC 4475 §3.1.1.1).
 * For a header line holding several values use `getHeaders(msg, 'via')` first.
 */
export function parseVia(value: string): Via | undefined {
  let i = skipWs(value, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (value.charCodeAt(i) !== 47) return undefined;
      i = skipWs(value, i + 1);
    }
    const s = i;
    while (i < value.length && isTokenChar(value.charCodeAt(i))) i++;
    if (i === s) return undefined;
    parts.push(value.slice(s, i));
    i = skipWs(value, i);
  }
  // sent-by = host [ COLON port ], COLON = SWS ":" SWS
  let hs = i;
  const hostStart = hs;
  if (value.charCodeAt(i) === 91) {
    const end = value.indexOf(']', i);
    if (end < 0) return undefined;
    hs = end + 1;
  } else {
    while (hs < value.length && isTokenChar(value.charCodeAt(hs))) hs++;
  }
  const host = value.slice(hostStart, hs);
  i = skipWs(value, hs);
  let port: number | undefined;
  if (value.charCodeAt(i) === 58) {
    i = skipWs(value, i + 1);
    const ps = i;
    while (i < value.length && isDigit(value.charCodeAt(i))) i++;
    if (i === ps || i - ps > 5) return undefined;
    port = Number(value.slice(ps, i));
    if (port > 65535) return undefined;
  }
  const hp = scanHostPort(host, 0);
  if (!hp || hp.end !== host.length || hp.port !== undefined) return undefined;
  const p = parseParams(value, i);
  if (!p || p.end !== value.length) return undefined;
  const via: Via = {
    protocol: parts[0] as string,
    version: parts[1] as string,
    transport: (parts[2] as string).toUpperCase(),
    host,
    params: p.params,
  };
  if (port !== undefined) via.port = port;
  const { branch, received, rport, maddr, ttl } = p.params;
  if (typeof branch === 'string') via.branch = branch;
  if (branch === null) return undefined; // branch needs a value
  if (typeof received === 'string') via.received = received;
  if (rport !== undefined) {
    if (rport === null) via.rport = null;
    else {
      const n = parseDigits(rport);
      if (!(n <= 65535)) return undefined;
      via.rport = n;
    }
  }
  if (typeof maddr === 'string') via.maddr = maddr;
  if (typeof ttl === 'string') {
    const n = parseDigits(ttl);
    if (!(n <= 255)) return undefined;
    via.ttl = n;
  }
  return via;
}

/** Parsed top (first) Via of a message, or undefined when missing or malformed. */
export function topVia(msg: HasHeaders): Via | undefined {
  const first = getHeader(msg, 'via');
  if (first === undefined) return undefined;
  const list = first.indexOf(',') < 0 ? [first] : splitList(first);
  return list?.[0] === undefined ? undefined : parseVia(list[0]);
}

/** All Via values of a message parsed, or undefined if any of them is malformed. */
export function parseViaList(msg: HasHeaders): Via[] | undefined {
  const out: Via[] = [];
  for (const v of getHeaders(msg, 'via')) {
    const via = parseVia(v);
    if (!via) return undefined;
    out.push(via);
  }
  return out;
}

/** The RFC 3261 branch magic cookie (§8.1.1.7). */
export const BRANCH_COOKIE = 'z9hG4bK';

/** True when a branch is RFC 3261-compliant: starts with the cookie and has something after it (RFC 4475 §3.2.1). */
export function isRfc3261Branch(branch: string | undefined): boolean {
  return (
    branch !== undefined && branch.length > BRANCH_COOKIE.length && branch.startsWith(BRANCH_COOKIE)
  );
}

/** Re-encode a Via value (`SIP/2.0/UDP host:port;params`), as drachtio-server does for the top Via (drachtio-wire.md §3.2). */
export function formatVia(via: Via): string {
  let s = `${via.protocol}/${via.version}/${via.transport} ${via.host}`;
  if (via.port !== undefined) s += `:${via.port}`;
  return s + formatParams(via.params);
}

/** `;name=value` list from a Params map (values written as stored). */
export function formatParams(params: Params): string {
  let s = '';
  for (const name in params) {
    const v = params[name];
    s += v === null || v === undefined ? `;${name}` : `;${name}=${v}`;
  }
  return s;
}

// ---- name-addr / addr-spec (§20.10, §20.20, §20.39, §25.1) -------------------------------

export interface NameAddr {
  /** Display name, quotes removed and quoted-pairs resolved. */
  displayName?: string;
  /** The URI exactly as written (inside the `<>` if any). */
  uri: string;
  /** The URI parsed. */
  parsedUri: ParsedUri;
  /** Header parameters after the URI (tag, expires, q, ...): lower-cased names. */
  params: Params;
  /** True for the `<...>` form. */
  bracketed: boolean;
}

/**
 * Parse `name-addr / addr-spec` followed by header params. Accepts a quoted
 * or token display name, with or without LWS before `<` (RFC 4475 §3.1.1.6).
 * Rejects an unterminated quote (§3.1.2.6), non-token display names such as
 * `Bell, Alexander` (§3.1.2.15), spaces inside `<>` (§3.1.2.14), and an
 * addr-spec with URI headers (`?`, which requires `<>`, §3.1.2.13).
 */
export function parseNameAddr(value: string): NameAddr | undefined {
  let i = skipWs(value, 0);
  let displayName: string | undefined;
  let bracketed = false;
  let uri: string;
  const c = value.charCodeAt(i);
  if (c === 34) {
    const end = scanQuoted(value, i);
    if (end < 0) return undefined;
    displayName = unquote(value.slice(i, end));
    i = skipWs(value, end);
    if (value.charCodeAt(i) !== 60) return undefined;
  } else if (c !== 60) {
    // Either `token *(LWS token) LAQUOT` or an addr-spec.
    let j = i;
    while (j < value.length) {
      const d = value.charCodeAt(j);
      // Non-ASCII letters are not token characters, but unquoted UTF-8
      // display names are common enough to accept (the quotes are inferred).
      if (!isTokenChar(d) && !isWs(d) && d < 128) break;
      j++;
    }
    if (value.charCodeAt(j) === 60) {
      const name = trimWs(value.slice(i, j));
      if (name.length > 0) displayName = name.replace(/[ \t]+/g, ' ');
      i = j;
    }
  }
  if (value.charCodeAt(i) === 60) {
    bracketed = true;
    const gt = value.indexOf('>', i + 1);
    if (gt < 0) return undefined;
    uri = value.slice(i + 1, gt);
    i = gt + 1;
  } else {
    // addr-spec: the URI may contain neither ';', ',' nor '?' (§20), so it ends at ';'.
    let j = i;
    while (j < value.length && value.charCodeAt(j) !== 59 && !isWs(value.charCodeAt(j))) j++;
    uri = value.slice(i, j);
    if (uri.indexOf('?') >= 0 || uri.indexOf(',') >= 0) return undefined;
    i = j;
  }
  const parsedUri = parseUri(uri);
  if (!parsedUri) return undefined;
  const p = parseParams(value, i);
  if (!p || p.end !== value.length) return undefined;
  const out: NameAddr = { uri, parsedUri, params: p.params, bracketed };
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

/** The `tag` parameter of a From/To value, if any (undefined also for a malformed value). */
export function getTag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = parseNameAddr(value)?.params.tag;
  return typeof t === 'string' ? t : undefined;
}

/**
 * Parse a Contact header value: `*` (only valid alone, for REGISTER removal)
 * or a comma-separated list of name-addr/addr-spec with params.
 */
export function parseContactList(value: string): NameAddr[] | '*' | undefined {
  if (trimWs(value) === '*') return '*';
  const items = splitList(value);
  if (!items) return undefined;
  const out: NameAddr[] = [];
  for (const item of items) {
    const na = parseNameAddr(item);
    if (!na) return undefined;
    out.push(na);
  }
  return out;
}

// ---- CSeq (§20.16) --------------------------------------------------------------

export interface CSeq {
  seq: number;
  method: string;
}

/** Largest CSeq number allowed: "MUST be less than 2**31" (§8.1.1.5). */
export const MAX_CSEQ = 2 ** 31 - 1;

/** `1*DIGIT LWS Method`; the number must be < 2**31 (RFC 4475 §3.1.2.4). */
export function parseCSeq(value: string): CSeq | undefined {
  let i = skipWs(value, 0);
  const ds = i;
  while (i < value.length && isDigit(value.charCodeAt(i))) i++;
  if (i === ds) return undefined;
  const seq = parseDigits(value.slice(ds, i));
  if (!(seq <= MAX_CSEQ)) return undefined;
  const ws = i;
  i = skipWs(value, i);
  if (i === ws) return undefined;
  const ms = i;
  while (i < value.length && isTokenChar(value.charCodeAt(i))) i++;
  if (i === ms || skipWs(value, i) !== value.length) return undefined;
  return { seq, method: value.slice(ms, i) };
}

/** Format helper for building messages: a header with its canonical name. */
export function header(name: string, value: string): SipHeader {
  return { name: canonicalHeaderName(name), value };
}

/** Params map with the given entries (lower-cased names). */
export function paramsOf(entries: Record<string, string | null>): Params {
  const p = newParams();
  for (const k of Object.keys(entries)) p[k.toLowerCase()] = entries[k] ?? null;
  return p;
}
