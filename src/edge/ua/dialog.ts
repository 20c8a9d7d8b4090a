/**
 * Dialog state (RFC 3261 §12) and the table that owns the dialogs: it finds
 * them by their wire id (`<Call-ID>;from-tag=<From tag of the
 * dialog-creating INVITE>`, drachtio-wire.md §7.1), by the (Call-ID, local
 * tag, remote tag) triple of received requests and by Call-ID alone (an
 * app's out-of-dialog request that names a dialog's Call-ID), and ends them
 * (timers stopped, entries removed) exactly once.
 */
import { getHeader, getTag, type SipRequest } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import { checkMove, type Moves } from '../txn/moves.ts';
import type { Timer } from '../shared/timers.ts';
import type { SipProtocol } from '../shared/types.ts';
import type { ServerTxn } from '../txn/server-txn.ts';
import type { AppConnection } from '../wire/control.ts';
import type { Remote, TcpConn } from '../transport/transport.ts';

/**
 * A dialog's session timer (RFC 4028): `refreshing` when we are the
 * refresher (re-INVITE at half the interval), `watching` when the peer is
 * (BYE if its refresh does not come before the session expires).
 */
export type SessionTimer =
  | { kind: 'off' }
  | { kind: 'refreshing' | 'watching'; secs: number; timer: Timer };

/** Clears whichever session timer the dialog has. */
export function stopSessionTimer(d: { session: SessionTimer }): void {
  if (d.session.kind !== 'off') d.session.timer.clear();
  d.session = { kind: 'off' };
}

/** Whatever keeps a dialog only while the dialog lives (the INVITE that created it). */
export interface DialogHolder {
  dialog: Dialog | undefined;
}

/**
 * pending: a UAC dialog before any response with a To tag; early: a 1xx with
 * a tag (UAC) or the app's first answer above 100 (UAS); confirmed: a 2xx;
 * terminated: ended, out of the table (§12.1, §12.3).
 */
export type DialogState = 'pending' | 'early' | 'confirmed' | 'terminated';

const DIALOG_MOVES: Moves<DialogState> = {
  pending: ['early', 'confirmed', 'terminated'],
  early: ['early', 'confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

/** A 2xx we sent to an INVITE and whose ACK we wait for. */
export interface AwaitedAck {
  cseq: number;
  txn: ServerTxn;
  /** Transaction id the ACK relay carries (the INVITE's for the initial INVITE, else a new one). */
  txnId: string;
}

/** A 2xx to an INVITE we sent: what the app's ACK frame refers to. */
export interface Ackable {
  cseq: number;
  /** Bytes of the ACK once sent, re-sent on 2xx retransmissions. */
  ack?: Buffer;
}

export class Dialog {
  private current: DialogState = 'pending';
  remoteTag: string | undefined;
  /** From value for requests we send (our side, with our tag). */
  localAor = '';
  /** To value for requests we send (peer side, tag appended when known). */
  remoteAor = '';
  localCseq = 0;
  remoteCseq = -1;
  remoteTarget = '';
  /** Route set in the order to write it (§12.1.1 / §12.1.2). */
  routeSet: string[] = [];
  localContact = '';
  awaitedAck: AwaitedAck | undefined;
  ackable: Ackable | undefined;
  /** Set when our CANCEL crossed the peer's 2xx: ACK then BYE (§7.7). */
  cancelRace = false;
  /** Pending re-INVITE we sent (to CANCEL before a BYE, §7.8). */
  pendingReinviteTxnId: string | undefined;
  /** The session timer (RFC 4028): off, our refresh, or our watch on the peer's. */
  session: SessionTimer = { kind: 'off' };
  /** Last SDP we sent (re-offered on session refresh). */
  localSdp: Buffer | undefined;
  /** Called with the RAck value of a PRACK received in this dialog. */
  onPrack: ((rack: string) => void) | undefined;
  /** TCP connection the dialog's requests arrived on (reused for ours). */
  tcp: TcpConn | undefined;
  /** The request we sent that created it (uac dialogs); let go of the dialog when it ends. */
  creator: DialogHolder | undefined;

  constructor(
    readonly id: string,
    readonly callId: string,
    readonly localTag: string,
    readonly role: 'uas' | 'uac',
    readonly conn: AppConnection,
    readonly protocol: SipProtocol,
  ) {}

  get state(): DialogState {
    return this.current;
  }

  /** The one place the state changes (ending goes through `DialogTable.end`). */
  moveTo(next: DialogState): void {
    checkMove(DIALOG_MOVES, this.current, next, `dialog ${this.id}`);
    this.current = next;
  }

  get matchKey(): string | undefined {
    return this.remoteTag === undefined
      ? undefined
      : matchKey(this.callId, this.localTag, this.remoteTag);
  }

  /** Where to send: over the dialog's TCP connection when it is still open. */
  tcpDest(dest: Remote): Remote {
    if (dest.protocol === 'tcp' && this.tcp && !this.tcp.closed) return { ...dest, conn: this.tcp };
    return dest;
  }

  /** To value for an in-dialog request. */
  get remoteWithTag(): string {
    return this.remoteTag === undefined
      ? this.remoteAor
      : `${this.remoteAor};tag=${this.remoteTag}`;
  }
}

export function matchKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

export function dialogId(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

/** The dialog id an INVITE from the network gets: Call-ID and the caller's From tag. */
export function uasDialogId(req: SipRequest): string {
  return dialogId(getHeader(req, 'call-id') ?? '', getTag(getHeader(req, 'from')) ?? '');
}

export class DialogTable {
  private readonly byId = new Map<string, Dialog>();
  private readonly byMatch = new Map<string, Dialog>();
  private readonly byCallId = new Map<string, Dialog[]>();
  /** Ids of UAC dialogs whose INVITE failed, while its transaction lives (for the ACK NOK text). */
  private readonly failedIds = new Set<string>();

  constructor(private readonly counters: Counters) {}

  add(d: Dialog): void {
    const old = this.byId.get(d.id);
    if (old) this.remove(old);
    this.byId.set(d.id, d);
    this.counters.dialogs++;
    this.counters.dialogsCreated++;
    const k = d.matchKey;
    if (k) this.byMatch.set(k, d);
    const same = this.byCallId.get(d.callId);
    if (same) same.push(d);
    else this.byCallId.set(d.callId, [d]);
  }

  /** Call after the remote tag became known or changed. */
  setRemoteTag(d: Dialog, tag: string): void {
    const k = d.matchKey;
    if (k && this.byMatch.get(k) === d) this.byMatch.delete(k);
    d.remoteTag = tag;
    if (this.byId.get(d.id) === d) this.byMatch.set(d.matchKey as string, d);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  match(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.byMatch.get(matchKey(callId, localTag, remoteTag));
  }

  /**
   * A confirmed dialog with this Call-ID, one where we are the UAS first,
   * as drachtio-server looks among its established dialogs.
   */
  confirmedWithCallId(callId: string): Dialog | undefined {
    const same = this.byCallId.get(callId);
    if (!same) return undefined;
    const confirmed = same.filter((d) => d.state === 'confirmed');
    return confirmed.find((d) => d.role === 'uas') ?? confirmed[0];
  }

  /**
   * Ends a dialog: timers stopped, entries removed, its creator lets go of
   * it. Idempotent.
   */
  end(d: Dialog): void {
    if (d.state === 'terminated') return;
    // A BYE before the ACK: stop retransmitting our 2xx (the call is over).
    d.awaitedAck?.txn.onAckFor2xx();
    d.awaitedAck = undefined;
    stopSessionTimer(d);
    d.onPrack = undefined;
    // Only a refresh re-offers it; the dialog object may stay referenced by a
    // lingering transaction for up to 64*T1.
    d.localSdp = undefined;
    this.remove(d);
    // The INVITE that created it may linger 64*T1 more; it no longer needs the dialog.
    if (d.creator?.dialog === d) d.creator.dialog = undefined;
    d.creator = undefined;
  }

  /** The INVITE that created a UAC dialog failed: ended, and remembered as failed. */
  fail(d: Dialog): void {
    this.end(d);
    this.failedIds.add(d.id);
  }

  hasFailed(id: string): boolean {
    return this.failedIds.has(id);
  }

  /** The failed INVITE's transaction ended (or a retry took over its id). */
  forgetFailure(id: string): void {
    this.failedIds.delete(id);
  }

  all(): Dialog[] {
    return [...this.byId.values()];
  }

  private remove(d: Dialog): void {
    if (this.byId.get(d.id) !== d) return;
    this.byId.delete(d.id);
    this.counters.dialogs--;
    const k = d.matchKey;
    if (k && this.byMatch.get(k) === d) this.byMatch.delete(k);
    const same = this.byCallId.get(d.callId);
    if (same) {
      const rest = same.filter((x) => x !== d);
      if (rest.length > 0) this.byCallId.set(d.callId, rest);
      else this.byCallId.delete(d.callId);
    }
    d.moveTo('terminated');
  }
}
