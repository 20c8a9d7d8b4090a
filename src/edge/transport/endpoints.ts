/**
 * What the transport layer hands up and is handed: local endpoints, peers,
 * received messages, and the TCP connection a peer is reached on.
 */
import type net from 'node:net';
import { type SipMessage, SipStreamFramer } from '../sip/index.ts';
import type { SipProtocol } from '../shared/types.ts';

/** A local SIP endpoint: what we bound and what we write into Via/Contact. */
export interface LocalEndpoint {
  protocol: SipProtocol;
  /** Bound address (may be 0.0.0.0). */
  host: string;
  port: number;
  /** Address written into Via/Contact and reported to apps. */
  advertised: string;
}

/** The peer of a message: where it came from, or where to send. */
export interface Remote {
  protocol: SipProtocol;
  address: string;
  port: number;
  /** For TCP: the connection the message arrived on (responses go back on it). */
  conn?: TcpConn;
  /** For UDP: the local endpoint the message arrived on (answers leave from it). */
  local?: LocalEndpoint;
}

export interface Inbound {
  msg: SipMessage;
  /** Size in bytes as received. */
  bytes: number;
  /** The message exactly as received (relayed to apps nearly verbatim). */
  raw: Buffer;
  src: Remote;
  local: LocalEndpoint;
}

export interface TransportEvents {
  onMessage(inb: Inbound): void;
  /**
   * `remote` cannot be reached: a TCP connection to it failed or closed
   * before its messages could go out, or over UDP it answered with ICMP port
   * unreachable (udp-flows.ts).
   */
  onConnectFailed(remote: Remote): void;
}

export class TcpConn {
  readonly framer = new SipStreamFramer();
  closed = false;
  constructor(
    readonly socket: net.Socket,
    readonly key: string,
    readonly local: LocalEndpoint,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}
}
