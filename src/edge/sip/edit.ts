/**
 * Small immutable edits of a header list, for the layers that compose or
 * rewrite messages (adding a To tag, replacing Contact, dropping app-supplied
 * Via/Route, ...). Lookups use the same case-insensitive, compact-form-aware
 * matching as `getHeader`.
 */

import { nameMatches } from './headers.ts';
import type { SipHeader } from './message.ts';
import { canonicalHeaderName, headerKey } from './names.ts';

/** Headers without any line named `name` (any spelling). */
export function withoutHeader(headers: readonly SipHeader[], name: string): SipHeader[] {
  const key = headerKey(name);
  return headers.filter((h) => !nameMatches(h.name, key));
}

/**
 * Headers with the first line named `name` replaced by `value` (keeping its
 * position and spelling) and any further lines of that name removed; the
 * header is appended under its canonical name when absent.
 */
export function withHeader(
  headers: readonly SipHeader[],
  name: string,
  value: string,
): SipHeader[] {
  const key = headerKey(name);
  const out: SipHeader[] = [];
  let done = false;
  for (const h of headers) {
    if (!nameMatches(h.name, key)) out.push(h);
    else if (!done) {
      out.push({ name: h.name, value });
      done = true;
    }
  }
  if (!done) out.push({ name: canonicalHeaderName(name), value });
  return out;
}

/** Headers with a line inserted before the first line of the same name (e.g. a new top Via), or appended. */
export function prependHeader(
  headers: readonly SipHeader[],
  name: string,
  value: string,
): SipHeader[] {
  const key = headerKey(name);
  const at = headers.findIndex((h) => nameMatches(h.name, key));
  const line = { name: canonicalHeaderName(name), value };
  if (at < 0) return [...headers, line];
  return [...headers.slice(0, at), line, ...headers.slice(at)];
}

/**
 * True when a header value can be written on one line: no CR or LF, which
 * would let an app-supplied value inject header lines (drachtio-wire.md §11
 * item 22). NUL is allowed: it is legal inside quoted strings (RFC 4475 §3.1.1.2).
 */
export function isSafeHeaderValue(value: string): boolean {
  return value.indexOf('\r') < 0 && value.indexOf('\n') < 0;
}
