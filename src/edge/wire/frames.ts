/**
 * Builders for server→app frame payloads (drachtio-wire.md §2.4, §3.1, §4.6).
 * Only the types `response` and `sip` are ever produced: srf crashes on any
 * other type (§1.4). Tokens must never contain `|` or CR; callers pass ids
 * and addresses the server generated or validated.
 */

const CRLF = '\r\n';

/** UTC time of day `HH:MM:SS.uuuuuu` as drachtio-server writes it. */
export function wireTime(now: Date = new Date()): string {
  const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const us = String(now.getUTCMilliseconds() * 1000).padStart(6, '0');
  return `${p2(now.getUTCHours())}:${p2(now.getUTCMinutes())}:${p2(now.getUTCSeconds())}.${us}`;
}

/** Where a SIP message came from or went to, as the frames report it. */
export interface WireMeta {
  bytes: number;
  protocol: string;
  address: string;
  port: number;
}

/** `SID|response|RID|OK[|tokens…]` without SIP text. */
export function okFrame(sid: string, rid: string, ...more: string[]): string {
  return more.length === 0
    ? `${sid}|response|${rid}|OK`
    : `${sid}|response|${rid}|OK|${more.join('|')}`;
}

/** `SID|response|RID|NOK|reason` — SIP-level failure. */
export function nokFrame(sid: string, rid: string, reason: string): string {
  return `${sid}|response|${rid}|NOK|${sanitize(reason)}`;
}

/** `SID|response|RID|NO|reason` — protocol-level failure. */
export function noFrame(sid: string, rid: string, reason: string): string {
  return `${sid}|response|${rid}|NO|${sanitize(reason)}`;
}

/** Echo of a request the server sent for the app (13 tokens). */
export function requestEchoFrame(
  sid: string,
  rid: string,
  m: WireMeta,
  txnId: string,
  sip: string,
): string {
  return `${sid}|response|${rid}|OK|application|${m.bytes}|${m.protocol}|${m.address}|${m.port}|${wireTime()}|${txnId}|Msg sent:|${CRLF}${sip}`;
}

/** Echo of a response the server sent for the app (15 tokens; token 11 = dialog id). */
export function responseEchoFrame(
  sid: string,
  rid: string,
  m: WireMeta,
  txnId: string,
  dialogId: string,
  sip: string,
): string {
  return `${sid}|response|${rid}|OK|application|${m.bytes}|${m.protocol}|${m.address}|${m.port}|${wireTime()}|${txnId}|${dialogId}||Msg sent:|${CRLF}${sip}`;
}

/**
 * A SIP message relayed to the app. `receivedOn` only for new out-of-dialog
 * requests (13 tokens); otherwise 11 tokens. The trailing `|` is mandatory:
 * srf ignores frames with 10 or fewer tokens (§3.1).
 */
export function sipFrame(
  sid: string,
  source: 'network' | 'application',
  m: WireMeta,
  txnId: string,
  dialogId: string,
  sip: string,
  receivedOn?: { host: string; port: number },
): string {
  const tail = receivedOn ? `${receivedOn.host}|${receivedOn.port}|` : '';
  return `${sid}|sip|${source}|${m.bytes}|${m.protocol}|${m.address}|${m.port}|${wireTime()}|${txnId}|${dialogId}|${tail}${CRLF}${sip}`;
}

function sanitize(s: string): string {
  return s.replace(/[|\r\n]/g, ' ');
}
