/**
 * Rules the server applies to SIP text written by the app
 * (drachtio-wire.md §4.4, §4.5): immutable and malformed headers dropped,
 * canonical capitalisation, `@localhost` rewrite, Content-Type detection.
 */
import {
  getHeaders,
  parseNameAddr,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  splitList,
} from '../sip/index.ts';
import { isToken } from '../sip/syntax.ts';

/** Headers the app may not set. */
const IMMUTABLE = new Set(['via', 'route', 'record-route', 'rseq', 'content-length', 'v', 'l']);

const WELL_KNOWN = [
  'From',
  'To',
  'Call-ID',
  'CSeq',
  'Contact',
  'Max-Forwards',
  'Content-Type',
  'Expires',
  'Min-Expires',
  'User-Agent',
  'Server',
  'Subject',
  'Allow',
  'Supported',
  'Require',
  'Proxy-Require',
  'Unsupported',
  'Event',
  'Allow-Events',
  'Subscription-State',
  'Authorization',
  'Proxy-Authorization',
  'WWW-Authenticate',
  'Proxy-Authenticate',
  'Authentication-Info',
  'Proxy-Authentication-Info',
  'Refer-To',
  'Referred-By',
  'Replaces',
  'Session-Expires',
  'Min-SE',
  'Reason',
  'Warning',
  'Error-Info',
  'Retry-After',
  'Priority',
  'Organization',
  'Call-Info',
  'Alert-Info',
  'Reply-To',
  'In-Reply-To',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Content-Encoding',
  'Content-Language',
  'Content-Disposition',
  'Date',
  'Timestamp',
  'RAck',
  'Path',
  'Service-Route',
  'Privacy',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Remote-Party-ID',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'SIP-ETag',
  'SIP-If-Match',
  'MIME-Version',
  'Accept-Contact',
  'Reject-Contact',
  'Request-Disposition',
];
const CANONICAL = new Map<string, string>();
for (const n of WELL_KNOWN) CANONICAL.set(n.toLowerCase().replace(/_/g, '-'), n);
// Compact forms an app might use.
for (const [c, n] of [
  ['f', 'From'],
  ['t', 'To'],
  ['i', 'Call-ID'],
  ['m', 'Contact'],
  ['c', 'Content-Type'],
  ['k', 'Supported'],
  ['s', 'Subject'],
  ['o', 'Event'],
  ['r', 'Refer-To'],
  ['b', 'Referred-By'],
  ['e', 'Content-Encoding'],
  ['x', 'Session-Expires'],
  ['u', 'Allow-Events'],
] as const) {
  CANONICAL.set(c, n);
}

/** Lower-case key with `_` ≡ `-`. */
export function appHeaderKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** The name as the server writes it: canonical for well-known headers, `X-` kept, others capitalised per dash. */
export function outputName(name: string): string {
  const key = appHeaderKey(name);
  const known = CANONICAL.get(key);
  if (known) return known;
  if (key.startsWith('x-')) return name;
  return key.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/**
 * App headers that may go on the wire, renamed per `outputName`, with
 * `@localhost` rewritten in From/To/Contact/P-Asserted-Identity.
 */
export function cleanAppHeaders(headers: readonly SipHeader[], localHostPort: string): SipHeader[] {
  const out: SipHeader[] = [];
  for (const h of headers) {
    const name = h.name.trim();
    if (!isToken(name) || /[\r\n]/.test(h.value)) continue;
    const key = appHeaderKey(name);
    if (IMMUTABLE.has(key)) continue;
    const outName = outputName(name);
    let value = h.value.trim();
    if (LOCALHOST_HEADERS.has(outName) && value.includes('@localhost'))
      value = rewriteLocalhost(value, localHostPort);
    if (outName === 'Authorization' || outName === 'Proxy-Authorization')
      value = reprintCredentials(value);
    out.push({ name: outName, value });
  }
  return out;
}

const LOCALHOST_HEADERS = new Set(['From', 'To', 'Contact', 'P-Asserted-Identity']);

/**
 * Credentials re-printed the way drachtio-server's stack prints them: the
 * scheme, then the parameters separated by `, ` (srf writes them without
 * spaces). Parameters are kept as written otherwise; a value whose quotes
 * do not balance is left alone.
 */
export function reprintCredentials(value: string): string {
  const sp = value.search(/[ \t]/);
  if (sp < 0) return value;
  const params = splitList(value.slice(sp + 1));
  if (!params || params.length === 0) return value;
  return `${value.slice(0, sp)} ${params.join(', ')}`;
}

/**
 * The To of an out-of-dialog request the app gave none for: the request URI
 * in angle brackets, its URI parameters after them, as header parameters
 * (`<sip:b@h:p>;transport=tcp`), which is what drachtio-server writes.
 */
export function toFromRequestUri(uri: string): string {
  if (!/^sips?:/i.test(uri)) return `<${uri}>`;
  const at = uri.indexOf('@');
  const semi = uri.indexOf(';', Math.max(at, 0));
  if (semi < 0) return `<${uri}>`;
  const q = uri.indexOf('?', semi);
  const params = q < 0 ? uri.slice(semi) : uri.slice(semi, q);
  const headers = q < 0 ? '' : uri.slice(q);
  return `<${uri.slice(0, semi)}${headers}>${params}`;
}

/**
 * `sip:1000@localhost` → `<sip:1000@HOST:PORT>`; display name and header
 * parameters survive, no transport parameter is added (§4.4).
 */
export function rewriteLocalhost(value: string, hostPort: string): string {
  const na = parseNameAddr(value);
  if (!na) return value.replace(/@localhost(:\d+)?/g, `@${hostPort}`);
  const uri = na.uri.replace(/@localhost(:\d+)?/, `@${hostPort}`);
  let out = na.displayName !== undefined ? `${quoteDisplay(na.displayName)} <${uri}>` : `<${uri}>`;
  for (const [k, v] of Object.entries(na.params)) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

function quoteDisplay(name: string): string {
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}

/** Index of the first header with one of the keys (app spelling tolerated). */
export function findAppHeader(headers: readonly SipHeader[], key: string): number {
  for (let i = 0; i < headers.length; i++) {
    if (appHeaderKey((headers[i] as SipHeader).name) === key) return i;
  }
  return -1;
}

/** True when the body looks like SDP (§4.5). */
export function isSdp(body: Buffer): boolean {
  return body.length >= 3 && body[0] === 0x76 && body[1] === 0x3d && body[2] === 0x30;
}

/** Adds the tag parameter to a From/To value. */
export function withTag(value: string, tag: string): string {
  return `${value};tag=${tag}`;
}

/**
 * SIP text from the app with header lines the server would drop anyway
 * removed (§4.4: no `:`, or a name with non-token characters), so that one
 * bad app header does not make the whole message unparsable.
 */
export function dropBadAppHeaderLines(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const lines = head.split('\r\n');
  let bad = false;
  for (let i = 1; i < lines.length; i++) {
    if (!isGoodLine(lines[i] as string)) {
      bad = true;
      break;
    }
  }
  if (!bad) return text;
  const kept = [lines[0] as string];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i] as string;
    if (isGoodLine(l)) kept.push(l);
  }
  return kept.join('\r\n') + (end < 0 ? '' : text.slice(end));
}

function isGoodLine(line: string): boolean {
  // A bare CR or LF inside a value would start a new header line (§11 item 22).
  if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) return false;
  const c = line.charCodeAt(0);
  if (c === 32 || c === 9) return true; // folded continuation
  const colon = line.indexOf(':');
  return colon > 0 && isToken(line.slice(0, colon).trim());
}

/** Takes a header out of the app's headers: its first value; further lines of it are dropped too. */
export type Take = (key: string) => string | undefined;

export function taker(app: SipHeader[]): Take {
  return (key) => {
    const i = findAppHeader(app, key);
    if (i < 0) return undefined;
    const v = (app[i] as SipHeader).value;
    app.splice(i, 1);
    for (let j = findAppHeader(app, key); j >= 0; j = findAppHeader(app, key)) app.splice(j, 1);
    return v;
  };
}

/** A From/To value without its tag parameter. */
export function stripTag(value: string): string {
  const gt = value.lastIndexOf('>');
  const head = gt >= 0 ? value.slice(0, gt + 1) : '';
  const tail = gt >= 0 ? value.slice(gt + 1) : value;
  return head + tail.replace(/;\s*tag\s*=\s*[^;]*/i, '');
}

/** The URI of the first Contact of a message, if any. */
export function firstContactUri(msg: SipRequest | SipResponse): string | undefined {
  const c = getHeaders(msg, 'contact')[0];
  if (c === undefined) return undefined;
  const lt = c.indexOf('<');
  if (lt >= 0) {
    const gt = c.indexOf('>', lt);
    return gt > lt ? c.slice(lt + 1, gt) : undefined;
  }
  const semi = c.indexOf(';');
  return (semi >= 0 ? c.slice(0, semi) : c).trim();
}

/**
 * The request's Content-Type: the app's, else `application/sdp` for an SDP
 * body, else none; `null` for a body that is neither typed nor SDP (refused).
 */
export function takeContentType(take: Take, body: Buffer): string | undefined | null {
  const given = take('content-type');
  if (given !== undefined || body.length === 0) return given;
  return isSdp(body) ? 'application/sdp' : null;
}
