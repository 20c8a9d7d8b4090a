/**
 * Server -> client frames of FreeSWITCH's event socket, byte for byte as
 * FreeSWITCH writes them: command replies carry no Content-Length, api
 * responses put Content-Type first, events put Content-Length first, and the
 * length counts bytes of the body.
 */
import { urlEncode } from './url-encode.ts';

/** Ordered event headers; a header may repeat in FreeSWITCH but ours do not. */
export type EventHeaders = Array<[name: string, value: string]>;

export interface EslEvent {
  name: string;
  /** Subclass for CUSTOM events. */
  subclass?: string;
  headers: EventHeaders;
  body?: string;
}

export const DISCONNECT_BODY =
  'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

export function authRequest(): string {
  return 'Content-Type: auth/request\n\n';
}

export function commandReply(text: string, extra: EventHeaders = []): string {
  let out = `Content-Type: command/reply\nReply-Text: ${text}\n`;
  for (const [n, v] of extra) out += `${n}: ${v}\n`;
  return `${out}\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export function disconnectNotice(channelUuid?: string): string {
  const head =
    channelUuid === undefined
      ? 'Content-Type: text/disconnect-notice\n'
      : `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${channelUuid}\nContent-Disposition: disconnect\n`;
  return `${head}Content-Length: ${Buffer.byteLength(DISCONNECT_BODY)}\n\n${DISCONNECT_BODY}`;
}

/** `Name: <encoded value>` lines, no trailing blank line. */
export function plainHeaders(headers: EventHeaders): string {
  let out = '';
  for (const [n, v] of headers) out += `${n}: ${v === '' ? '_undef_' : urlEncode(v)}\n`;
  return out;
}

/** The plain serialization (switch_event_serialize): headers, then the body if any. */
export function plainEventText(ev: EslEvent): string {
  const head = plainHeaders(ev.headers);
  if (ev.body === undefined) return `${head}\n`;
  return `${head}Content-Length: ${Buffer.byteLength(ev.body)}\n\n${ev.body}`;
}

export function jsonEventText(ev: EslEvent): string {
  const obj: Record<string, string> = {};
  for (const [n, v] of ev.headers) obj[n] = v;
  if (ev.body !== undefined) {
    obj['Content-Length'] = String(Buffer.byteLength(ev.body));
    obj._body = ev.body;
  }
  return JSON.stringify(obj);
}

export type EventFormat = 'plain' | 'json';

export function eventFrame(ev: EslEvent, format: EventFormat): string {
  const body = format === 'json' ? jsonEventText(ev) : plainEventText(ev);
  const type = format === 'json' ? 'text/event-json' : 'text/event-plain';
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: ${type}\n\n${body}`;
}
