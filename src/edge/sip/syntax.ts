/**
 * Low-level lexical helpers for the RFC 3261 §25 grammar, shared by the
 * message parser and the structured header parsers.
 *
 * Everything here is a hand-written scanner over a string with an index, so
 * parsing is linear in the input (no regular expressions that could
 * backtrack on hostile input) and allocates only the substrings it returns.
 */

import { isUtf8 } from 'node:buffer';

/** Build a 128-entry lookup table from the characters of `chars` plus alphanumerics. */
function table(chars: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") — RFC 3261 §25.1 */
const TOKEN = table("-.!%*_+`'~");
/** word = 1*(alphanum / token chars / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
const WORD = table('-.!%*_+`\'~()<>:\\"/[]?{}');
/**
 * Characters of a hostname or IPv4 address (§25.1 hostname / IPv4address),
 * plus `_`, which the grammar forbids but real hosts (container names) use.
 */
const HOST = table('-._');
/**
 * unreserved + user-unreserved (§25.1 user): `& = + $ , ; ? /` plus `%` for
 * escapes, plus `#`, which must be escaped by the grammar but which phones
 * send unescaped in dialled star codes (`*67#`).
 */
const USER = table("-_.!~*'()&=+$,;?/%#");
/** unreserved + `& = + $ ,` + `%` (§25.1 password). */
const PASSWORD = table("-_.!~*'()&=+$,%");
/** paramchar = param-unreserved / unreserved / escaped (§25.1 uri-parameter). */
const URI_PARAM = table("[]/:&+$-_.!~*'()%");
/** hname/hvalue characters (§25.1 header): hnv-unreserved / unreserved / escaped. */
const URI_HEADER = table("[]/?:+$-_.!~*'()%");

const isIn = (t: Uint8Array, c: number): boolean => c < 128 && t[c] === 1;

export const isTokenChar = (c: number): boolean => isIn(TOKEN, c);
export const isWordChar = (c: number): boolean => isIn(WORD, c);
export const isHostChar = (c: number): boolean => isIn(HOST, c);
export const isUserChar = (c: number): boolean => isIn(USER, c);
export const isPasswordChar = (c: number): boolean => isIn(PASSWORD, c);
export const isUriParamChar = (c: number): boolean => isIn(URI_PARAM, c);
export const isUriHeaderChar = (c: number): boolean => isIn(URI_HEADER, c);
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isWs = (c: number): boolean => c === 32 || c === 9;

/** True when `s` is a non-empty RFC 3261 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** True when `s` consists only of the characters accepted by `pred` (and is non-empty). */
export function allChars(s: string, pred: (c: number) => boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!pred(s.charCodeAt(i))) return false;
  return true;
}

/** Index of the first non-whitespace (SP / HTAB / CR / LF) character at or after `i`. */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

/** `s` without leading/trailing SP and HTAB. */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Scan a quoted-string starting at `s[i] === '"'` (§25.1 quoted-string, with
 * quoted-pair `\` escapes). Returns the index just after the closing quote,
 * or -1 when the string is not terminated.
 */
export function scanQuoted(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 92) {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): CR and LF may not be escaped.
      const n = s.charCodeAt(j + 1);
      if (Number.isNaN(n) || n === 10 || n === 13) return -1;
      j += 2;
      continue;
    }
    if (c === 34) return j + 1;
    j++;
  }
  return -1;
}

/** The content of a quoted string (without the quotes), quoted-pairs resolved. */
export function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === 92) {
      out += inner.slice(start, i);
      i++;
      start = i; // the escaped character is kept literally
    }
  }
  return out + inner.slice(start);
}

/**
 * Split a header value on commas that separate list elements (§7.3.1): commas
 * inside quoted strings and inside `<...>` do not count. Elements are trimmed.
 * Returns undefined when a quoted string or angle bracket is unbalanced.
 */
export function splitList(value: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      const end = scanQuoted(value, i);
      if (end < 0) return undefined;
      i = end - 1;
    } else if (c === 60) {
      if (angle) return undefined;
      angle = true;
    } else if (c === 62) {
      if (!angle) return undefined;
      angle = false;
    } else if (c === 44 && !angle) {
      out.push(trimWs(value.slice(start, i)));
      start = i + 1;
    }
  }
  if (angle) return undefined;
  out.push(trimWs(value.slice(start)));
  return out;
}

/** Parameters as a name -> value map; `null` for a parameter without a value. Names are lower-cased. */
export type Params = Record<string, string | null>;

export function newParams(): Params {
  return Object.create(null) as Params;
}

/**
 * Parse header parameters `*( SEMI generic-param )` (§25.1) starting at `i`,
 * where `s[i]` must be `;` (or the end). LWS is allowed around `;` and `=`
 * (SEMI and EQUAL are SWS-padded). A value is a token, a host (IPv6 reference
 * allowed) or a quoted string (kept with its quotes). Returns the params and
 * the index where parsing stopped, or undefined on a syntax error (an empty
 * parameter such as `;;`, a bad name, a bad value).
 */
export function parseParams(s: string, i: number): { params: Params; end: number } | undefined {
  const params = newParams();
  i = skipWs(s, i);
  while (i < s.length && s.charCodeAt(i) === 59) {
    i = skipWs(s, i + 1);
    const ns = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    if (i === ns) return undefined;
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 61) {
      i = skipWs(s, i + 1);
      const c = s.charCodeAt(i);
      if (c === 34) {
        const end = scanQuoted(s, i);
        if (end < 0) return undefined;
        value = s.slice(i, end);
        i = end;
      } else if (c === 91) {
        const end = s.indexOf(']', i);
        if (end < 0) return undefined;
        value = s.slice(i, end + 1);
        i = end + 1;
      } else {
        const vs = i;
        // token, or host (token chars cover hostname/IPv4 characters)
        while (i < s.length && (isTokenChar(s.charCodeAt(i)) || s.charCodeAt(i) === 58)) i++;
        if (i === vs) return undefined;
        value = s.slice(vs, i);
      }
      i = skipWs(s, i);
    }
    params[name] = value;
  }
  return { params, end: i };
}

/**
 * Decode `%HH` escapes once (§19.1.2; never recursively — RFC 4475 §3.1.1.3).
 * Decoded bytes are read as UTF-8 when valid, otherwise byte for byte.
 * An invalid escape (`%Z4`) is kept literally.
 */
export function unescapePercent(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (
      c === 37 &&
      i + 2 < src.length &&
      isHex(src[i + 1] as number) &&
      isHex(src[i + 2] as number)
    ) {
      out[n++] = (hexVal(src[i + 1] as number) << 4) | hexVal(src[i + 2] as number);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  const bytes = out.subarray(0, n);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

function hexVal(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Parse a string of decimal digits (1*DIGIT). Returns NaN for anything else. */
export function parseDigits(s: string): number {
  if (s.length === 0 || s.length > 15) {
    // More than 15 digits cannot be represented exactly; callers treat it as overlarge.
    if (s.length > 15 && allChars(s, isDigit)) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
    n = n * 10 + (c - 48);
  }
  return n;
}
