/**
 * Parsing of `Authorization` header values: `Digest name=value, name="quoted, value", …`
 * (RFC 3261 §25.1 `credentials`, RFC 7616 §3.4). Written here rather than taken
 * from drachtio-srf's regex parser because srf's splits at commas inside quoted
 * strings in some cases and keeps the quotes and escapes in the values.
 */

export class AuthHeaderSyntaxError extends Error {
  override name = 'AuthHeaderSyntaxError';
}

export interface ParsedAuthHeader {
  /** Lower-cased scheme, e.g. `digest`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: Map<string, string>;
}

const TOKEN_CHAR = /[A-Za-z0-9\-.!%*_+`'~]/;
const MAX_HEADER_LENGTH = 4096;

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/**
 * Parses a header value holding one or more credentials. srf joins repeated
 * `Authorization` headers with a comma on one line, so `Digest a=1, Digest b=2`
 * must come apart into two: a new credentials value starts where, after a
 * comma, a token is followed by whitespace and another token (the scheme and
 * its first parameter) rather than by `=`.
 *
 * Throws `AuthHeaderSyntaxError` for anything that is not
 * `scheme param *(, param)`: unterminated quotes, duplicate parameters,
 * missing `=`, stray characters. Duplicate parameters are refused because a
 * second `response=` or `uri=` could hide from a check that read the first.
 */
export function parseAuthHeaderList(value: string): ParsedAuthHeader[] {
  if (value.length > MAX_HEADER_LENGTH) throw new AuthHeaderSyntaxError('header too long');
  let i = 0;
  const n = value.length;
  const skipWs = () => {
    while (i < n && isWhitespace(value[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(value[i] as string)) i++;
    return value.slice(start, i);
  };
  /** At a token followed by whitespace and a token char (not by `=`): a scheme. */
  const atScheme = (): boolean => {
    let j = i;
    while (j < n && TOKEN_CHAR.test(value[j] as string)) j++;
    if (j === i || j >= n || !isWhitespace(value[j])) return false;
    while (j < n && isWhitespace(value[j])) j++;
    return j < n && TOKEN_CHAR.test(value[j] as string);
  };
  const readScheme = (): ParsedAuthHeader => {
    const scheme = readToken();
    if (scheme === '') throw new AuthHeaderSyntaxError('missing scheme');
    return { scheme: scheme.toLowerCase(), params: new Map() };
  };

  skipWs();
  const list: ParsedAuthHeader[] = [readScheme()];
  if (i < n && !isWhitespace(value[i])) throw new AuthHeaderSyntaxError('bad scheme');
  let current = list[0] as ParsedAuthHeader;
  let first = true;
  for (;;) {
    skipWs();
    if (i >= n) break;
    if (!first) {
      if (value[i] !== ',') throw new AuthHeaderSyntaxError(`expected "," at ${i}`);
      i++;
      skipWs();
      // Tolerate empty list elements (`a=1,,b=2`), which RFC 7230 §7 allows.
      if (value[i] === ',' || i >= n) continue;
      if (atScheme()) {
        current = readScheme();
        list.push(current);
        first = true;
        continue;
      }
    }
    first = false;
    const name = readToken().toLowerCase();
    if (name === '') throw new AuthHeaderSyntaxError(`expected a parameter name at ${i}`);
    skipWs();
    if (value[i] !== '=') throw new AuthHeaderSyntaxError(`expected "=" after ${name}`);
    i++;
    skipWs();
    let v: string;
    if (value[i] === '"') {
      i++;
      let out = '';
      let closed = false;
      while (i < n) {
        const c = value[i] as string;
        if (c === '\\') {
          if (i + 1 >= n) break;
          out += value[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) throw new AuthHeaderSyntaxError(`unterminated quoted value for ${name}`);
      v = out;
    } else {
      v = readToken();
      if (v === '') throw new AuthHeaderSyntaxError(`empty value for ${name}`);
    }
    if (current.params.has(name)) throw new AuthHeaderSyntaxError(`duplicate parameter ${name}`);
    current.params.set(name, v);
  }
  return list;
}

/** Quotes a value for a header parameter (RFC 3261 quoted-string). */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
