/**
 * Parsing of `Contact` and `To` values for the registrar (RFC 3261 §20.10,
 * §25.1 name-addr / addr-spec). srf joins repeated Contact headers with
 * commas, and a display name or a `<…>` URI may itself contain commas, so the
 * list is split only at commas outside quotes and angle brackets.
 */

export class ContactSyntaxError extends Error {
  override name = 'ContactSyntaxError';
}

export interface ParsedContact {
  /** The URI without the angle brackets. */
  uri: string;
  /** Header parameters (after `>`), names lower-cased, values unquoted; `null` for flags. */
  params: Map<string, string | null>;
}

/** Splits a header value at commas that are outside quotes and `<…>`. */
export function splitHeaderList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted || depth !== 0) throw new ContactSyntaxError('unbalanced quotes or angle brackets');
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseParams(text: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  const re = /;\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;\s]+))?\s*/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new ContactSyntaxError(`bad parameter near "${text.slice(i, i + 20)}"`);
    const raw = m[2];
    const v =
      raw === undefined
        ? null
        : raw.startsWith('"')
          ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
          : raw;
    params.set((m[1] as string).toLowerCase(), v);
    i = re.lastIndex;
  }
  return params;
}

/** Parses one name-addr or addr-spec with its header parameters. */
export function parseNameAddr(entry: string): ParsedContact {
  let s = entry.trim();
  if (s.startsWith('"')) {
    const end = /^"(?:[^"\\]|\\.)*"/.exec(s);
    if (!end) throw new ContactSyntaxError('unterminated display name');
    s = s.slice(end[0].length).trim();
    if (!s.startsWith('<')) throw new ContactSyntaxError('display name without <uri>');
  }
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new ContactSyntaxError('missing >');
    const uri = s.slice(lt + 1, gt).trim();
    if (!/^(sips?|tel):\S+$/i.test(uri)) throw new ContactSyntaxError('not a SIP URI');
    return { uri, params: parseParams(s.slice(gt + 1).trim()) };
  }
  // addr-spec form: URI parameters cannot be told from header parameters, so
  // RFC 3261 §20.10 says everything after the first ';' is a header parameter.
  const semi = s.indexOf(';');
  const uri = (semi < 0 ? s : s.slice(0, semi)).trim();
  if (!/^(sips?|tel):[^\s,;<>"]+$/i.test(uri)) throw new ContactSyntaxError('not a SIP URI');
  return { uri, params: parseParams(semi < 0 ? '' : s.slice(semi)) };
}

/** A Contact header value: `*` or a list of contacts. */
export function parseContactList(value: string): '*' | ParsedContact[] {
  if (value.trim() === '*') return '*';
  const entries = splitHeaderList(value);
  if (entries.some((e) => e === '*')) throw new ContactSyntaxError('"*" mixed with contacts');
  return entries.map(parseNameAddr);
}

/** The user part of a sip:/sips: URI (percent-decoded), or null. */
export function uriUser(uri: string): string | null {
  const m = /^sips?:([^@;?]+)@/i.exec(uri.trim());
  if (!m) return null;
  try {
    return decodeURIComponent((m[1] as string).split(':', 1)[0] as string);
  } catch {
    return null;
  }
}

/** Parses `delta-seconds` (RFC 3261 §25.1): digits only; large values are capped. */
export function parseDeltaSeconds(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) return null;
  // §20.19: values above 2^32-1 are taken as 2^32-1.
  return Math.min(Number(v), 4_294_967_295);
}
