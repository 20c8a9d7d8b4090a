/**
 * Dialog state (RFC 3261 §12) and the table that finds dialogs by their wire
 * id (`<Call-ID>;from-tag=<From tag of the dialog-creating INVITE>`,
 * drachtio-wire.md §7.1) and by the (Call-ID, local tag, remote tag) triple
 * of received requests.
 */
import type { Counters } from '../stats.ts';
import type { Timer } from '../timers.ts';
import type { SipProtocol } from '../types.ts';
import type { ServerTxn } from '../txn/server-txn.ts';
import type { AppConnection } from '../wire/control.ts';
import type { Remote, TcpConn } from '../transport/transport.ts';

export type DialogState = 'pending' | 'early' | 'confirmed' | 'failed' | 'terminated';

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
  state: DialogState = 'pending';
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
  /** Our session refresh (RFC 4028), when we are the refresher. */
  sessionTimer: Timer | undefined;
  sessionSecs = 0;
  /** Last SDP we sent (re-offered on session refresh). */
  localSdp: Buffer | undefined;
  /** Called with the RAck value of a PRACK received in this dialog. */
  onPrack: ((rack: string) => void) | undefined;
  /** TCP connection the dialog's requests arrived on (reused for ours). */
  tcp: TcpConn | undefined;
  /** Transaction id of the INVITE we sent that created it (uac dialogs). */
  creatorTxnId: string | undefined;

  constructor(
    readonly id: string,
    readonly callId: string,
    readonly localTag: string,
    readonly role: 'uas' | 'uac',
    readonly conn: AppConnection,
    readonly protocol: SipProtocol,
  ) {}

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

export class DialogTable {
  private readonly byId = new Map<string, Dialog>();
  private readonly byMatch = new Map<string, Dialog>();

  constructor(private readonly counters: Counters) {}

  add(d: Dialog): void {
    const old = this.byId.get(d.id);
    if (old) this.remove(old);
    this.byId.set(d.id, d);
    this.counters.dialogs++;
    this.counters.dialogsCreated++;
    const k = d.matchKey;
    if (k) this.byMatch.set(k, d);
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

  remove(d: Dialog): void {
    if (this.byId.get(d.id) !== d) return;
    this.byId.delete(d.id);
    this.counters.dialogs--;
    const k = d.matchKey;
    if (k && this.byMatch.get(k) === d) this.byMatch.delete(k);
    d.state = 'terminated';
  }

  /**
   * The dialog with this Call-ID, a UAS dialog before a UAC one, whichever
   * app owns it (drachtio-server's rule for app requests that name an
   * existing dialog's Call-ID without its dialog id).
   */
  withCallId(callId: string): Dialog | undefined {
    let uac: Dialog | undefined;
    for (const d of this.byId.values()) {
      // Only established dialogs: an INVITE that is still pending or failed
      // (srf retries a challenged INVITE with its Call-ID) is no dialog yet.
      if (d.callId !== callId || d.state !== 'confirmed') continue;
      if (d.role === 'uas') return d;
      uac ??= d;
    }
    return uac;
  }

  all(): Dialog[] {
    return [...this.byId.values()];
  }
}
