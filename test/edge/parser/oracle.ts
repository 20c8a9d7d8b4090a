/**
 * drachtio-srf's own SIP parser, used as a test oracle: every SIP text our
 * serializer produces must be readable by the parser the app side runs
 * (drachtio-wire.md §10.2). srf's type declarations do not list the static
 * `SipMessage` getter, so it is typed here.
 */

import Srf from 'drachtio-srf';

export interface OracleMessage {
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  body: string;
  headers: Record<string, string>;
  get(name: string): string | undefined;
  has(name: string): boolean;
  getParsedHeader(name: string): unknown;
}

type OracleCtor = new (text: string) => OracleMessage;

const SipMessage = (Srf as unknown as { SipMessage: OracleCtor }).SipMessage;

/** Parse SIP text with drachtio-srf's parser (throws if srf cannot parse it). */
export function oracleParse(text: string): OracleMessage {
  return new SipMessage(text);
}
