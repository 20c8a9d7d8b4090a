/**
 * Requests an app sent (drachtio-wire.md §7.6–§7.8), and the table that owns
 * them until their client transaction ends: the request itself until its
 * final response (for a CANCEL), a CANCEL held until a provisional arrives,
 * and the guard that gives the INVITE up when no final response follows a
 * CANCEL. Each entry's timer is armed and cleared only here.
 */
import type { SipRequest } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import type { Timer, TimerSource, TimerValues } from '../shared/timers.ts';
import type { Remote } from '../transport/transport.ts';
import type { ClientTxn } from '../txn/client-txn.ts';
import type { AppConnection } from '../wire/control.ts';
import type { Dialog, DialogHolder } from './dialog.ts';

export type CancelState =
  | { readonly state: 'none' }
  | { readonly state: 'held'; readonly req: SipRequest; readonly bytes: Buffer }
  | { readonly state: 'sent' };

// Shared: every request starts uncancelled, and most never carry more.
const NOT_CANCELLED: CancelState = { state: 'none' };
export const CANCEL_SENT: CancelState = { state: 'sent' };

/** A request the app sent, until its client transaction ends. */
export class SentRequest implements DialogHolder {
  txn: ClientTxn | undefined;
  /**
   * The request, for a CANCEL, until its final response: the transaction
   * lingers for up to 64*T1 afterwards (2xx retransmissions are re-ACKed from
   * the dialog), and under load keeping every parsed INVITE that long kept
   * thousands of them in the heap.
   */
  req: SipRequest | undefined;
  /**
   * The request's dialog until that dialog ends (`DialogTable.end`, or the
   * final response if it ended then): the transaction lingers up to 64*T1
   * after its final response, and keeping every ended dialog (whose remote
   * target is a slice of the whole 200 OK text) that long made each call's
   * objects live long enough to be copied into the old generation under load.
   */
  dialog: Dialog | undefined;
  /** Id of the dialog an initial INVITE created, kept for the failure record after `dialog` is let go. */
  readonly dialogId: string | undefined;
  readonly method: string;
  /**
   * none: not cancelled; held: a CANCEL built and held until a provisional
   * arrives (§7.7); sent: a CANCEL went out, or was dropped as the final
   * response came first.
   */
  cancel: CancelState = NOT_CANCELLED;

  get cancelled(): boolean {
    return this.cancel.state !== 'none';
  }

  /** After a CANCEL: give up on the INVITE if no final response comes (owned by `ClientRequests`). */
  cancelGuard: Timer | undefined;

  constructor(
    readonly txnId: string,
    readonly conn: AppConnection,
    req: SipRequest,
    dialog: Dialog | undefined,
    /** Initial INVITE (creates `dialog`). */
    readonly creates: boolean,
    /** Where the request went. */
    readonly dest: Remote,
  ) {
    this.req = req;
    this.method = req.method;
    this.dialog = dialog;
    this.dialogId = creates ? dialog?.id : undefined;
  }
}

export class ClientRequests {
  private readonly byTxnId = new Map<string, SentRequest>();

  constructor(
    private readonly counters: Counters,
    private readonly timers: TimerSource,
    private readonly values: TimerValues,
    private readonly nextTxnId: () => string,
  ) {}

  get(txnId: string): SentRequest | undefined {
    return this.byTxnId.get(txnId);
  }

  /** A new entry for a request about to be sent; counted as unanswered until its final response. */
  open(
    conn: AppConnection,
    req: SipRequest,
    dest: Remote,
    dialog: Dialog | undefined,
    creates: boolean,
  ): SentRequest {
    const s = new SentRequest(this.nextTxnId(), conn, req, dialog, creates, dest);
    this.byTxnId.set(s.txnId, s);
    if (creates && dialog) dialog.creator = s;
    this.counters.unansweredRequests++;
    return s;
  }

  /** A CANCEL went out or is held: the INVITE is given up if no final response follows. */
  guardCancel(s: SentRequest): void {
    s.cancelGuard?.clear();
    s.cancelGuard = this.timers.start(this.values.t64, () => {
      s.cancelGuard = undefined;
      s.txn?.failLocally(408, 'Request Timeout');
    });
  }

  /** The final response is in: the request, a held CANCEL and the guard are no longer needed. */
  answered(s: SentRequest): void {
    this.releaseRequest(s);
    if (s.cancel.state === 'held') s.cancel = CANCEL_SENT;
    s.cancelGuard?.clear();
    s.cancelGuard = undefined;
  }

  /** The client transaction ended: the entry and its dialog let go of each other. */
  terminated(s: SentRequest): void {
    if (this.byTxnId.get(s.txnId) === s) this.byTxnId.delete(s.txnId);
    if (s.dialog?.creator === s) s.dialog.creator = undefined;
    this.releaseRequest(s);
    s.cancelGuard?.clear();
    s.cancelGuard = undefined;
  }

  /** Shutting down: no guard outlives the server. */
  closeAll(): void {
    for (const s of this.byTxnId.values()) {
      s.cancelGuard?.clear();
      s.cancelGuard = undefined;
    }
  }

  private releaseRequest(s: SentRequest): void {
    if (!s.req) return;
    s.req = undefined;
    this.counters.unansweredRequests--;
  }
}
