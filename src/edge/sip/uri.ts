/**
 * URI parsing: SIP/SIPS URIs (RFC 3261 §19.1, grammar §25.1) including IPv6
 * references, `tel:` URIs (RFC 3966, loosely) and any other absolute URI
 * (kept opaque, RFC 3261 §19.1 allows them in headers; RFC 4475 §3.3.2-3.3.4).
 */

import {
  isDigit,
  isHostChar,
  isPasswordChar,
  isUriHeaderChar,
  isUriParamChar,
  isUserChar,
  newParams,
  type Params,
  unescapePercent,
} from './syntax.ts';

export interface ParsedUri {
  /** Lower-cased scheme: `sip`, `sips`, `tel`, or any other. */
  scheme: string;
  /** User part with `%HH` escapes decoded once (SIP); the number for `tel:`. */
  user?: string;
  /** User part as written. */
  rawUser?: string;
  /** Password with escapes decoded. */
  password?: string;
  /** Host as written (IPv6 references keep their brackets); empty for non-SIP URIs. */
  host: string;
  port?: number;
  /** uri-parameters: lower-cased names, decoded values, `null` when valueless. */
  params: Params;
  /** URI headers (`?name=value&...`): decoded names and values. */
  headers: Record<string, string>;
  /** For non-SIP/SIPS/tel URIs: everything after `scheme:`. */
  opaque?: string;
}

/** True for a SIP or SIPS URI scheme. */
export function isSipScheme(scheme: string): boolean {
  return scheme === 'sip' || scheme === 'sips';
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1). Returns the index of ':' or -1. */
function schemeEnd(s: string): number {
  const c0 = s.charCodeAt(0) | 32;
  if (!(c0 >= 97 && c0 <= 122)) return -1;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) return i;
    const l = c | 32;
    if (!((l >= 97 && l <= 122) || isDigit(c) || c === 43 || c === 45 || c === 46)) return -1;
  }
  return -1;
}

/** IPv6reference = "[" IPv6address "]" — checked for hex digits, ':' and '.' only. */
function scanIpv6(s: string, i: number): number {
  const end = s.indexOf(']', i);
  if (end < 0 || end === i + 1) return -1;
  let colons = 0;
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 58) colons++;
    else if (!(isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102) || c === 46)) return -1;
  }
  return colons >= 2 ? end + 1 : -1;
}

/**
 * Scan `host [ ":" port ]` at `i` (§25.1 hostport). Returns the host, port and
 * the index after them, or undefined.
 */
export function scanHostPort(
  s: string,
  i: number,
): { host: string; port?: number; end: number } | undefined {
  const hs = i;
  if (s.charCodeAt(i) === 91) {
    i = scanIpv6(s, i);
    if (i < 0) return undefined;
  } else {
    while (i < s.length && isHostChar(s.charCodeAt(i))) i++;
    if (i === hs) return undefined;
  }
  const host = s.slice(hs, i);
  if (s.charCodeAt(i) !== 58) return { host, end: i };
  const ps = ++i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i === ps || i - ps > 5) return undefined;
  const port = Number(s.slice(ps, i));
  if (port > 65535) return undefined;
  return { host, port, end: i };
}

/** Parse any absolute URI. Returns undefined when it is not well formed. Never throws. */
export function parseUri(value: string): ParsedUri | undefined {
  const colon = schemeEnd(value);
  if (colon <= 0) return undefined;
  const scheme = value.slice(0, colon).toLowerCase();
  if (isSipScheme(scheme)) return parseSipUri(value, colon + 1, scheme);
  const rest = value.slice(colon + 1);
  // Other schemes: opaque, but no whitespace or controls and not empty.
  if (rest.length === 0) return undefined;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) return undefined;
  }
  if (scheme === 'tel') {
    // telephone-subscriber *( ";" param ) — RFC 3966; the number up to ';'.
    const semi = rest.indexOf(';');
    const number = semi < 0 ? rest : rest.slice(0, semi);
    const params = newParams();
    if (semi >= 0) {
      for (const p of rest.slice(semi + 1).split(';')) {
        if (p.length === 0) return undefined;
        const eq = p.indexOf('=');
        if (eq === 0) return undefined;
        if (eq < 0) params[unescapePercent(p).toLowerCase()] = null;
        else
          params[unescapePercent(p.slice(0, eq)).toLowerCase()] = unescapePercent(p.slice(eq + 1));
      }
    }
    if (number.length === 0) return undefined;
    return { scheme, user: number, rawUser: number, host: '', params, headers: {}, opaque: rest };
  }
  return { scheme, host: '', params: newParams(), headers: {}, opaque: rest };
}

/**
 * SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ].
 * `@` can only end the userinfo (it is not allowed unescaped in a host,
 * parameter or header), so the first `@` splits userinfo from hostport even
 * when the user part contains `;` or `?` (RFC 4475 §3.1.1.2, §3.1.1.9).
 */
function parseSipUri(s: string, i: number, scheme: string): ParsedUri | undefined {
  const out: ParsedUri = { scheme, host: '', params: newParams(), headers: {} };
  const at = s.indexOf('@', i);
  if (at >= 0) {
    const userinfo = s.slice(i, at);
    const pc = userinfo.indexOf(':');
    const user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (!checkChars(user, isUserChar)) return undefined;
    out.rawUser = user;
    out.user = unescapePercent(user);
    if (pc >= 0) {
      const password = userinfo.slice(pc + 1);
      if (password.length > 0 && !checkChars(password, isPasswordChar)) return undefined;
      out.password = unescapePercent(password);
    }
    i = at + 1;
  }
  const hp = scanHostPort(s, i);
  if (!hp) return undefined;
  out.host = hp.host;
  if (hp.port !== undefined) out.port = hp.port;
  i = hp.end;
  // uri-parameters = *( ";" uri-parameter ), no whitespace anywhere in a URI
  while (i < s.length && s.charCodeAt(i) === 59) {
    const ns = ++i;
    while (i < s.length && isUriParamChar(s.charCodeAt(i))) i++;
    if (i === ns) return undefined;
    const name = unescapePercent(s.slice(ns, i)).toLowerCase();
    let value: string | null = null;
    if (s.charCodeAt(i) === 61) {
      const vs = ++i;
      while (i < s.length && isUriParamChar(s.charCodeAt(i))) i++;
      if (i === vs) return undefined;
      value = unescapePercent(s.slice(vs, i));
    }
    out.params[name] = value;
  }
  // headers = "?" header *( "&" header ), header = hname "=" hvalue
  if (i < s.length && s.charCodeAt(i) === 63) {
    do {
      const ns = ++i;
      while (i < s.length && isUriHeaderChar(s.charCodeAt(i))) i++;
      if (i === ns || s.charCodeAt(i) !== 61) return undefined;
      const name = unescapePercent(s.slice(ns, i));
      const vs = ++i;
      while (i < s.length && isUriHeaderChar(s.charCodeAt(i))) i++;
      out.headers[name] = unescapePercent(s.slice(vs, i));
    } while (i < s.length && s.charCodeAt(i) === 38);
  }
  return i === s.length ? out : undefined;
}

function checkChars(s: string, pred: (c: number) => boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!pred(s.charCodeAt(i))) return false;
  return true;
}
