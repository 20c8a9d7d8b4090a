/**
 * Server transactions (RFC 3261 §17.2, with the RFC 6026 "Accepted" state
 * for 2xx to INVITE).
 *
 *   INVITE:     proceeding --1xx--> proceeding
 *               proceeding --2xx--> accepted  (2xx resent on Timer G until the
 *                                              TU reports the ACK; Timer H → onAckTimeout)
 *               proceeding --3xx-6xx--> completed (Timer G resend, Timer H)
 *               completed --ACK--> confirmed (Timer I) --> terminated
 *   non-INVITE: trying --1xx--> proceeding --final--> completed (Timer J) --> terminated
 *
 * Retransmitted requests are absorbed in trying and answered with the last
 * response afterwards (except a 100 Trying, which is sent once). Every timer is owned by a state and cleared when the
 * state is left.
 */
import type { SipRequest } from '../sip/index.ts';
import type { Timer } from '../shared/timers.ts';
import type { Remote } from '../transport/transport.ts';
import { checkMove, type Moves } from './moves.ts';
import type { TxnServices } from './services.ts';

export type ServerState =
  | 'trying'
  | 'proceeding'
  | 'accepted'
  | 'completed'
  | 'confirmed'
  | 'terminated';

/** RFC 3261 figure 7 with RFC 6026's Accepted (§17.2.1). */
const INVITE_MOVES: Moves<ServerState> = {
  trying: [],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

/** RFC 3261 figure 8 (§17.2.2). */
const NON_INVITE_MOVES: Moves<ServerState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  accepted: [],
  completed: ['terminated'],
  confirmed: [],
  terminated: [],
};

export interface ServerTxnUser {
  /** 2xx to INVITE never acknowledged within 64*T1. */
  onAckTimeout?(txn: ServerTxn): void;
  /** Non-2xx final never acknowledged within 64*T1. */
  onTerminated?(txn: ServerTxn): void;
}

export class ServerTxn {
  state: ServerState;
  readonly isInvite: boolean;
  lastResponse: Buffer | undefined;
  lastStatus = 0;
  user: ServerTxnUser | undefined;
  /** Accepted state: the ACK for our 2xx arrived. */
  acked = false;
  private retrans: Timer | undefined;
  private timeout: Timer | undefined;
  private interval: number;

  // The request itself is not kept: a transaction lingers for up to 64*T1
  // (32 s) after its final response only to absorb retransmissions, and
  // holding every parsed request (and its dialog) that long kept thousands
  // of calls' objects in the heap under load.
  constructor(
    private readonly layer: TxnServices,
    readonly key: string,
    request: SipRequest,
    readonly remote: Remote,
  ) {
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.interval = layer.timers.t1;
  }

  get reliable(): boolean {
    return this.remote.protocol !== 'udp';
  }

  /**
   * The one place the state changes; leaving a state clears its timers. A
   * move the table does not list is a bug.
   */
  private moveTo(next: ServerState): void {
    const moves = this.isInvite ? INVITE_MOVES : NON_INVITE_MOVES;
    checkMove(moves, this.state, next, `server transaction ${this.key}`);
    this.clearTimers();
    this.state = next;
  }

  private startTimer(ms: number, fn: () => void): Timer {
    return this.layer.timerSource.start(ms, fn);
  }

  /** A retransmission of the request arrived. */
  onRetransmit(): void {
    if (this.acked) return;
    if (
      this.lastResponse &&
      this.state !== 'trying' &&
      this.state !== 'terminated' &&
      this.state !== 'confirmed'
    ) {
      this.layer.resend(this.remote, this.lastResponse);
    }
  }

  /** ACK with this transaction's branch (non-2xx final). */
  onAck(): void {
    if (this.state !== 'completed') return;
    this.moveTo('confirmed');
    const t4 = this.reliable ? 0 : this.layer.timers.t4;
    this.timeout = this.startTimer(t4, () => this.terminate());
  }

  /**
   * The TU saw the ACK for our 2xx (matched through the dialog): stop
   * retransmitting, but stay in Accepted until Timer L (64*T1) so that late
   * INVITE retransmissions are still absorbed (RFC 6026 §7.1).
   */
  onAckFor2xx(): void {
    if (this.state !== 'accepted') return;
    this.acked = true;
    this.retrans?.clear();
    this.retrans = undefined;
    // Only an unacknowledged 2xx needs the TU again; let go of its dialog now.
    if (!this.user?.onTerminated) this.user = undefined;
  }

  /** Sends a response through the transaction. Returns false if the transaction can no longer respond. */
  respond(status: number, bytes: Buffer): boolean {
    if (
      this.state === 'terminated' ||
      this.state === 'completed' ||
      this.state === 'confirmed' ||
      this.state === 'accepted'
    ) {
      return false;
    }
    // Our own 100 Trying is sent once and never re-sent on request
    // retransmissions: only provisionals of the application are (RFC 3261
    // §17.2.1), as drachtio-server does. Re-sending it made a sipp caller,
    // which re-sends its request on every repeated response, ping-pong.
    if (status !== 100) this.lastResponse = bytes;
    this.lastStatus = status;
    this.layer.transport.send(this.remote, bytes, `response ${status}`);
    if (status < 200) {
      if (this.state === 'trying') this.moveTo('proceeding');
      return true;
    }
    const t = this.layer.timers;
    if (this.isInvite) {
      this.moveTo(status < 300 ? 'accepted' : 'completed');
      if (!this.reliable) {
        this.interval = t.t1;
        this.retrans = this.startTimer(this.interval, () => this.retransmit());
      }
      this.timeout = this.startTimer(t.t64, () => {
        this.timeout = undefined;
        const unacked = this.state === 'accepted' && !this.acked;
        this.terminate();
        if (unacked) this.user?.onAckTimeout?.(this);
        else this.user?.onTerminated?.(this);
      });
    } else {
      this.moveTo('completed');
      this.timeout = this.startTimer(this.reliable ? 0 : t.t64, () => this.terminate());
    }
    return true;
  }

  /** Timer G: resend the final response, doubling up to T2. */
  private retransmit(): void {
    this.retrans = undefined;
    if ((this.state !== 'completed' && this.state !== 'accepted') || !this.lastResponse) return;
    this.layer.resend(this.remote, this.lastResponse);
    this.interval = Math.min(this.interval * 2, this.layer.timers.t2);
    this.retrans = this.startTimer(this.interval, () => this.retransmit());
  }

  private clearTimers(): void {
    this.retrans?.clear();
    this.retrans = undefined;
    this.timeout?.clear();
    this.timeout = undefined;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.moveTo('terminated');
    this.layer.removeServer(this);
  }
}
