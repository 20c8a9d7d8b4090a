/**
 * The SIP message model shared by the parser, the transport, the transaction
 * layer and the drachtio wire protocol.
 *
 * Header lines are kept as written (name as on the wire, value with folding
 * already unfolded to single spaces), in order, so that a message can be
 * relayed to the app verbatim apart from the headers the server rewrites
 * (see drachtio-wire.md §3.2). Structured views (Via, CSeq, name-addr, URI)
 * are parsed on demand by the functions in `headers.ts`.
 */

export interface SipHeader {
  /** Header name as written on the wire (may be a compact form such as `v`). */
  name: string;
  /** Header value, unfolded (continuation lines joined with one space), trimmed. */
  value: string;
}

interface SipMessageBase {
  /** Always `SIP/2.0` for messages the parser accepts. */
  version: string;
  headers: SipHeader[];
  /** Exactly Content-Length bytes (or the rest of a UDP datagram when absent). */
  body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  /** Method token, case preserved (methods are case-sensitive, RFC 3261 §7.1). */
  method: string;
  /** Request-URI exactly as written. */
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;
