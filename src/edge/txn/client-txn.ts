/**
 * Client transactions (RFC 3261 §17.1, RFC 6026 "Accepted" for INVITE).
 *
 *   INVITE:     calling (Timer A resend over UDP, Timer B → local 408)
 *               --1xx--> proceeding (Timer C → onTimerC, restarted per 1xx)
 *               --2xx--> accepted (64*T1; further 2xx go to the TU for re-ACK)
 *               --3xx-6xx--> completed: ACK sent here (same branch), resent on
 *                            retransmitted finals; Timer D → terminated
 *   non-INVITE: trying (Timer E resend, Timer F → local 408) --1xx--> proceeding
 *               (Timer E at T2) --final--> completed (Timer K) → terminated
 *
 * Transport failure (TCP connection refused, ICMP port unreachable over UDP)
 * in calling/proceeding → local 503 → terminated.
 */
import {
  getHeader,
  getHeaders,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
} from '../sip/index.ts';
import type { Timer } from '../shared/timers.ts';
import type { Inbound, Remote } from '../transport/transport.ts';
import { checkMove, type Moves } from './moves.ts';
import type { TxnServices } from './services.ts';

export type ClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

/** RFC 3261 figure 5 with RFC 6026's Accepted (§17.1.1). */
const INVITE_MOVES: Moves<ClientState> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

/** RFC 3261 figure 6 (§17.1.2); `calling` is the figure's Trying. */
const NON_INVITE_MOVES: Moves<ClientState> = {
  calling: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  accepted: [],
  completed: ['terminated'],
  terminated: [],
};

export interface ClientTxnUser {
  /** A response for the TU: every 1xx except 100, the first final, and (INVITE) 2xx retransmissions. */
  onResponse(
    txn: ClientTxn,
    res: SipResponse,
    inb: Inbound | undefined,
    retransmission: boolean,
  ): void;
  /** Timer C fired (INVITE proceeding for too long without a final response). */
  onTimerC?(txn: ClientTxn): void;
  onTerminated?(txn: ClientTxn): void;
}

export class ClientTxn {
  state: ClientState = 'calling';
  readonly isInvite: boolean;
  /** Set when a provisional response was received (a CANCEL may then be sent). */
  provisional = false;
  final = 0;
  private ack: Buffer | undefined;
  private retrans: Timer | undefined;
  private timeout: Timer | undefined;
  private timerC: Timer | undefined;
  private interval: number;
  // The request (parsed and as bytes) is needed only until the final response:
  // for retransmissions, a local 408/503 and the non-2xx ACK. It is let go
  // then, as the transaction may linger for up to 64*T1 afterwards.
  private outgoing: { request: SipRequest; bytes: Buffer } | undefined;
  /** Releases the connected UDP socket held for unreachable detection (once, on terminate). */
  private releaseFlow: (() => void) | undefined;

  constructor(
    private readonly layer: TxnServices,
    readonly key: string,
    readonly branch: string,
    request: SipRequest,
    bytes: Buffer,
    readonly dest: Remote,
    readonly user: ClientTxnUser,
  ) {
    this.outgoing = { request, bytes };
    this.isInvite = request.method === 'INVITE';
    this.interval = layer.timers.t1;
  }

  get reliable(): boolean {
    return this.dest.protocol !== 'udp';
  }

  /**
   * The one place the state changes. Timers belong to states: leaving one
   * clears its timers, except that a non-INVITE's Timers E and F run on from
   * Trying into Proceeding (§17.1.2.2). A move the table does not list is a bug.
   */
  private moveTo(next: ClientState): void {
    const moves = this.isInvite ? INVITE_MOVES : NON_INVITE_MOVES;
    checkMove(moves, this.state, next, `client transaction ${this.key}`);
    if (this.isInvite || next !== 'proceeding') this.clearTimers();
    this.state = next;
  }

  private startTimer(ms: number, fn: () => void): Timer {
    return this.layer.timerSource.start(ms, fn);
  }

  /** Sends the request and arms Timers A/E and B/F. */
  start(): void {
    const t = this.layer.timers;
    if (!this.outgoing) return;
    const { request, bytes } = this.outgoing;
    // Over UDP, a port unreachable for the request then ends it at once with
    // a local 503 (layer.connectFailed), as on drachtio-server.
    this.releaseFlow = this.layer.transport.holdUdpFlow(this.dest);
    const local = this.layer.transport.send(this.dest, bytes, request.method);
    if (!local) {
      this.layer.queueMicrotask(() => this.failLocally(503, 'Service Unavailable'));
      return;
    }
    if (!this.reliable) this.retrans = this.startTimer(this.interval, () => this.retransmit());
    this.timeout = this.startTimer(t.t64, () => {
      this.timeout = undefined;
      this.failLocally(408, 'Request Timeout');
    });
  }

  private retransmit(): void {
    this.retrans = undefined;
    if (this.state !== 'calling' && !(this.state === 'proceeding' && !this.isInvite)) return;
    if (!this.outgoing) return;
    this.layer.resend(this.dest, this.outgoing.bytes);
    const t = this.layer.timers;
    // Timer A doubles without cap; Timer E is capped at T2 and runs at T2 once proceeding.
    if (this.isInvite) this.interval *= 2;
    else this.interval = this.state === 'proceeding' ? t.t2 : Math.min(this.interval * 2, t.t2);
    this.retrans = this.startTimer(this.interval, () => this.retransmit());
  }

  /** A response whose branch and CSeq method match. */
  onResponse(res: SipResponse, inb: Inbound): void {
    const status = res.status;
    if (status < 200) {
      if (this.state !== 'calling' && this.state !== 'proceeding') return;
      this.provisional = true;
      if (this.state === 'calling') {
        this.moveTo('proceeding');
        // Timer E continues, at T2 from now on (§17.1.2.2); Timers A and B are over.
        if (!this.isInvite && this.retrans) this.interval = this.layer.timers.t2;
      }
      if (this.isInvite) {
        this.timerC?.clear();
        this.timerC = this.startTimer(this.layer.timers.timerC, () => {
          this.timerC = undefined;
          this.user.onTimerC?.(this);
        });
      }
      if (status !== 100) this.user.onResponse(this, res, inb, false);
      return;
    }
    if (this.state === 'calling' || this.state === 'proceeding') {
      this.final = status;
      const request = this.outgoing?.request;
      this.outgoing = undefined;
      const t = this.layer.timers;
      if (!this.isInvite) {
        this.moveTo('completed');
        this.timeout = this.startTimer(this.reliable ? 0 : t.t4, () => this.terminate());
      } else if (status < 300) {
        this.moveTo('accepted');
        this.timeout = this.startTimer(t.t64, () => this.terminate());
      } else {
        this.moveTo('completed');
        if (request) {
          this.ack = serializeSipMessage(buildNon2xxAck(request, res));
          this.layer.transport.send(this.dest, this.ack, 'ACK');
        }
        this.timeout = this.startTimer(this.reliable ? 0 : t.t64, () => this.terminate());
      }
      this.user.onResponse(this, res, inb, false);
      return;
    }
    if (this.state === 'completed' && this.isInvite && status >= 300 && this.ack) {
      this.layer.resend(this.dest, this.ack);
    } else if (this.state === 'accepted' && status < 300) {
      this.user.onResponse(this, res, inb, true);
    }
  }

  /** Local final response (Timer B/F, transport failure): passed to the TU like a network one. */
  failLocally(status: number, reason: string): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    const request = this.outgoing?.request;
    if (!request) return;
    this.final = status;
    this.clearTimers();
    this.outgoing = undefined;
    const res = localResponse(request, status, reason, this.layer.ids.tag());
    this.user.onResponse(this, res, undefined, false);
    this.terminate();
  }

  private clearTimers(): void {
    this.retrans?.clear();
    this.retrans = undefined;
    this.timeout?.clear();
    this.timeout = undefined;
    this.timerC?.clear();
    this.timerC = undefined;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.moveTo('terminated');
    this.releaseFlow?.();
    this.releaseFlow = undefined;
    this.layer.removeClient(this);
    this.user.onTerminated?.(this);
  }
}

/** ACK for a non-2xx final (§17.1.1.3): same Request-URI, top Via, Call-ID, From, Route; To of the response. */
function buildNon2xxAck(req: SipRequest, res: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  const via = getHeaders(req, 'via')[0];
  if (via) headers.push({ name: 'Via', value: via });
  headers.push({ name: 'Max-Forwards', value: '70' });
  for (const r of getHeaders(req, 'route')) headers.push({ name: 'Route', value: r });
  headers.push({ name: 'From', value: getHeader(req, 'from') ?? '' });
  headers.push({ name: 'To', value: getHeader(res, 'to') ?? '' });
  headers.push({ name: 'Call-ID', value: getHeader(req, 'call-id') ?? '' });
  const cseq = (getHeader(req, 'cseq') ?? '').trim().split(/\s+/)[0] ?? '1';
  headers.push({ name: 'CSeq', value: `${cseq} ACK` });
  return {
    kind: 'request',
    method: 'ACK',
    uri: req.uri,
    version: 'SIP/2.0',
    headers,
    body: Buffer.alloc(0),
  };
}

/** A response generated by us for our own request (408, 503). */
export function localResponse(
  req: SipRequest,
  status: number,
  reason: string,
  tag: string,
): SipResponse {
  const headers: SipHeader[] = [];
  for (const v of getHeaders(req, 'via')) headers.push({ name: 'Via', value: v });
  headers.push({ name: 'From', value: getHeader(req, 'from') ?? '' });
  const to = getHeader(req, 'to') ?? '';
  headers.push({
    name: 'To',
    value: /;\s*tag=/i.test(to) ? to : `${to};tag=${tag}`,
  });
  headers.push({ name: 'Call-ID', value: getHeader(req, 'call-id') ?? '' });
  headers.push({ name: 'CSeq', value: getHeader(req, 'cseq') ?? '' });
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers, body: Buffer.alloc(0) };
}
