/**
 * Requests from the network handed to an app and not yet answered finally
 * (drachtio-wire.md §7.4), and the table that owns them: their server
 * transaction, the guard against an app that never answers, and the
 * retransmission of a reliable provisional (RFC 3262). Each entry's timers
 * are armed and cleared only here.
 */
import type { SipIds } from '../shared/ids.ts';
import { buildResponse, type SipRequest, serializeSipMessage } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import type { Timer, TimerSource, TimerValues } from '../shared/timers.ts';
import type { Inbound } from '../transport/transport.ts';
import type { TxnLayer } from '../txn/layer.ts';
import type { ServerTxn } from '../txn/server-txn.ts';
import type { AppConnection } from '../wire/control.ts';
import type { Dialog, DialogTable } from './dialog.ts';

/** A reliable provisional awaiting its PRACK. */
interface Reliable {
  readonly rseq: number;
  readonly bytes: Buffer;
  interval: number;
  resend: Timer | undefined;
  readonly giveUp: Timer;
}

/** An incoming request handed to an app and not yet answered finally. */
export class PendingRequest {
  /** To tag for our responses, fixed by the first response. */
  localTag: string | undefined;
  /** Any response sent by the app. */
  answered = false;
  /** Guard against an app that never answers (owned by `ServerRequests`). */
  guard: Timer | undefined;
  /** Reliable provisional awaiting PRACK (owned by `ServerRequests`). */
  reliable: Reliable | undefined;
  /** Out-of-dialog requests: Call-ID|From tag|CSeq, for merged requests (§8.2.2.2). */
  mergeKey: string | undefined;

  constructor(
    readonly txnId: string,
    readonly txn: ServerTxn,
    /** The request as received, top Via stamped (as relayed). */
    readonly req: SipRequest,
    readonly inb: Inbound,
    readonly conn: AppConnection,
    /** Dialog the request belongs to (in-dialog) or created by the app's answer (INVITE). */
    public dialog: Dialog | undefined,
    /** True for an out-of-dialog INVITE (dialog-creating). */
    readonly initialInvite: boolean,
  ) {
    this.localTag = dialog ? dialog.localTag : undefined;
  }
}

export class ServerRequests {
  private readonly byTxnId = new Map<string, PendingRequest>();
  /** Incoming INVITEs by server transaction key (for CANCEL). */
  private readonly byInviteKey = new Map<string, PendingRequest>();
  private readonly byMergeKey = new Map<string, PendingRequest>();

  constructor(
    private readonly layer: TxnLayer,
    private readonly dialogs: DialogTable,
    private readonly counters: Counters,
    private readonly timers: TimerSource,
    private readonly values: TimerValues,
    private readonly ids: SipIds,
    private readonly nextTxnId: () => string,
  ) {}

  get(txnId: string): PendingRequest | undefined {
    return this.byTxnId.get(txnId);
  }

  /** The pending INVITE of a server transaction (a CANCEL's target). */
  forInvite(txnKey: string): PendingRequest | undefined {
    return this.byInviteKey.get(txnKey);
  }

  isMerged(mergeKey: string): boolean {
    return this.byMergeKey.has(mergeKey);
  }

  ofConnection(conn: AppConnection): PendingRequest[] {
    return [...this.byTxnId.values()].filter((p) => p.conn === conn);
  }

  /** Creates the server transaction (100 Trying for INVITE) and the pending entry. */
  admit(
    req: SipRequest,
    inb: Inbound,
    conn: AppConnection,
    dialog: Dialog | undefined,
    initialInvite: boolean,
    mergeKey?: string,
  ): PendingRequest | undefined {
    const txn = this.layer.createServer(req, inb.src);
    if (!txn) return undefined;
    if (req.method === 'INVITE') {
      txn.respond(100, serializeSipMessage(buildResponse(req, 100, 'Trying')));
    }
    const p = new PendingRequest(this.nextTxnId(), txn, req, inb, conn, dialog, initialInvite);
    // An app that never answers: answered by us after 64*T1 (§12.4, embedded column).
    p.guard = this.timers.start(this.values.t64, () => {
      p.guard = undefined;
      if (p.answered) return;
      if (dialog) this.respondLocally(p, 500, 'Server Internal Error');
      else if (req.method === 'INVITE') this.respondLocally(p, 480, 'Temporarily Unavailable');
      else this.respondLocally(p, 503, 'Service Unavailable');
    });
    this.byTxnId.set(p.txnId, p);
    this.counters.pendingRequests++;
    if (req.method === 'INVITE') this.byInviteKey.set(txn.key, p);
    if (mergeKey !== undefined) {
      p.mergeKey = mergeKey;
      this.byMergeKey.set(mergeKey, p);
    }
    return p;
  }

  /** The app sent a response: the guard is no longer needed. */
  answered(p: PendingRequest): void {
    p.answered = true;
    p.guard?.clear();
    p.guard = undefined;
  }

  /** Final response of our own (app gone, app silent, provisional never PRACKed). */
  respondLocally(p: PendingRequest, status: number, reason: string): void {
    const tag = p.localTag ?? this.ids.tag();
    const res = buildResponse(p.req, status, reason, [], { toTag: tag });
    p.txn.respond(status, serializeSipMessage(res));
    this.finish(p);
    if (p.initialInvite && p.dialog && p.dialog.state !== 'confirmed') this.dialogs.end(p.dialog);
  }

  /** Forget a pending request (final response sent or request cancelled). */
  finish(p: PendingRequest): void {
    if (this.byTxnId.get(p.txnId) !== p) return;
    this.byTxnId.delete(p.txnId);
    this.counters.pendingRequests--;
    p.guard?.clear();
    p.guard = undefined;
    this.stopReliable(p);
    if (this.byInviteKey.get(p.txn.key) === p) this.byInviteKey.delete(p.txn.key);
    if (p.mergeKey !== undefined && this.byMergeKey.get(p.mergeKey) === p)
      this.byMergeKey.delete(p.mergeKey);
  }

  /** RSeq for the next reliable provisional of a request (RFC 3262 §3). */
  nextRseq(p: PendingRequest): number {
    return (p.reliable?.rseq ?? this.ids.rseqBase()) + 1;
  }

  /**
   * RFC 3262 §3: retransmit the reliable provisional (T1 doubling, UDP only)
   * until the PRACK with its RSeq arrives; after 64*T1 without one, reject the
   * INVITE with a 5xx and keep running (the real server crashes here, §7.4).
   */
  sendReliably(p: PendingRequest, d: Dialog, rseq: number, bytes: Buffer): void {
    this.stopReliable(p);
    const rel: Reliable = {
      rseq,
      bytes,
      interval: this.values.t1,
      resend: undefined,
      giveUp: this.timers.start(this.values.t64, () => {
        rel.resend?.clear();
        p.reliable = undefined;
        this.respondLocally(p, 504, 'Server Time-out');
      }),
    };
    const resend = (): void => {
      rel.resend = undefined;
      if (p.reliable !== rel) return;
      this.layer.resend(p.inb.src, rel.bytes);
      rel.interval *= 2;
      rel.resend = this.timers.start(rel.interval, resend);
    };
    if (p.inb.src.protocol === 'udp') rel.resend = this.timers.start(rel.interval, resend);
    p.reliable = rel;
    d.onPrack = (rack) => {
      if (p.reliable === rel && Number.parseInt(rack.trim(), 10) === rseq) this.stopReliable(p);
    };
  }

  /** Stops the retransmission of a reliable provisional (PRACK received, final sent, or given up). */
  stopReliable(p: PendingRequest): void {
    const rel = p.reliable;
    if (!rel) return;
    p.reliable = undefined;
    rel.resend?.clear();
    rel.giveUp.clear();
  }

  /** Shutting down: pending requests get a final answer rather than silence. */
  closeAll(): void {
    for (const p of [...this.byTxnId.values()]) this.respondLocally(p, 503, 'Service Unavailable');
  }
}
