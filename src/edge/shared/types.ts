/**
 * Public option and result types of the embedded SIP server.
 * Kept apart from `index.ts` so that internal modules can import them
 * without importing the server itself.
 */
import type { Logger } from 'pino';

export type SipProtocol = 'udp' | 'tcp';

/** One SIP listening address. Port 0 = ephemeral (UDP and TCP of one host share a port when both are asked). */
export interface SipListen {
  protocol: SipProtocol;
  host: string;
  port: number;
}

export interface SipTimers {
  /** RFC 3261 T1, round-trip estimate. Default 500 ms. */
  t1Ms?: number;
  /** RFC 3261 T2, cap of non-INVITE retransmission intervals. Default 4000 ms. */
  t2Ms?: number;
  /** RFC 3261 T4, maximum time a message stays in the network. Default 5000 ms. */
  t4Ms?: number;
  /** Timer C (proceeding INVITE without final answer → CANCEL). Default 185000 ms. */
  timerCMs?: number;
}

export interface EmbeddedSipServerOptions {
  /** Default: UDP and TCP on 0.0.0.0:5060. */
  listen?: SipListen[];
  /** drachtio control port. Default 127.0.0.1:9022; port 0 = ephemeral. */
  control?: { host: string; port: number };
  /** Shared secret apps authenticate with. */
  secret: string;
  /** Every SIP message is logged at debug level. */
  logger?: Logger;
  timers?: SipTimers;
  /** Host written into Via/Contact when listening on 0.0.0.0 / ::. */
  advertisedAddress?: string;
}

export interface BoundAddress {
  protocol: SipProtocol;
  host: string;
  port: number;
}

/** Counters for /metrics and leak tests. "live" values return to 0 when idle. */
export interface EdgeStats {
  /** SIP messages received from the network (parsed or not). */
  messagesIn: number;
  /** SIP messages sent to the network (retransmissions included). */
  messagesOut: number;
  /** Retransmissions sent by the transaction layer (subset of messagesOut). */
  retransmissions: number;
  /** Messages that did not parse or validate (answered 400 or dropped). */
  badMessages: number;
  /** Live transactions (server + client). */
  transactions: number;
  serverTransactions: number;
  clientTransactions: number;
  /** Live dialogs (early and confirmed). */
  dialogs: number;
  /** Incoming requests waiting for the app's first response. */
  pendingRequests: number;
  /** Requests sent for an app and still waiting for their final response (each kept, for a CANCEL, until then). */
  unansweredRequests: number;
  /** Live timers owned by the server. */
  timers: number;
  /** Authenticated app connections. */
  appConnections: number;
  /** Open SIP TCP connections. */
  tcpConnections: number;
  /** Connected UDP sockets, one per destination with a client transaction in progress (unreachable detection). */
  udpFlows: number;
  /** Total transactions and dialogs created since start. */
  transactionsCreated: number;
  dialogsCreated: number;
  /** Wire frames in / out on the control port. */
  framesIn: number;
  framesOut: number;
}

export type SentObserver = (message: Buffer, sentAt: number) => void;

export interface EmbeddedSipServer {
  readonly sipAddresses: BoundAddress[];
  readonly controlAddress: { host: string; port: number };
  stats(): EdgeStats;
  /**
   * Calls `observer` with each SIP message as it is handed to a socket, or
   * only the requests of `methods` when given (one observer at a time; the
   * benchmark times INVITEs leaving). `sentAt` is `monotonicMs()` at that
   * moment, comparable across threads. Returns `stop`.
   */
  observeSent(observer: SentObserver, methods?: string[]): () => void;
  close(): Promise<void>;
}
