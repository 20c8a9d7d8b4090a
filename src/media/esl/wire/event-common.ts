/**
 * The common block every FreeSWITCH event starts with (Event-Name, Core-UUID,
 * host names, dates, sequence), and the server identity it needs.
 */
import type { EventHeaders } from './frames.ts';

export interface ServerIdentity {
  coreUuid: string;
  hostname: string;
  ipv4: string;
  version: string;
  /** Next Event-Sequence number. */
  seq: { next: number };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function commonBlock(
  id: ServerIdentity,
  eventName: string,
  callingFunction: string,
  subclass?: string,
): EventHeaders {
  const now = new Date();
  const headers: EventHeaders = [['Event-Name', eventName]];
  if (subclass !== undefined) headers.push(['Event-Subclass', subclass]);
  headers.push(
    ['Core-UUID', id.coreUuid],
    ['FreeSWITCH-Hostname', id.hostname],
    ['FreeSWITCH-Switchname', id.hostname],
    ['FreeSWITCH-IPv4', id.ipv4],
    ['FreeSWITCH-IPv6', '::1'],
    ['Event-Date-Local', localDate(now)],
    ['Event-Date-GMT', now.toUTCString()],
    ['Event-Date-Timestamp', `${now.getTime()}000`],
    ['Event-Calling-File', 'embedded-media-server'],
    ['Event-Calling-Function', callingFunction],
    ['Event-Calling-Line-Number', '0'],
    ['Event-Sequence', String(id.seq.next++)],
  );
  return headers;
}
