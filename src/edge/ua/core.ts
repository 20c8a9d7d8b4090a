/**
 * The SIP core between the transaction layer and the drachtio wire protocol:
 * what drachtio-server does on the app's behalf (drachtio-wire.md §7).
 *
 * - Network requests: CANCEL handling (§7.5), in-dialog routing to the owning
 *   app connection (§7.9), new requests routed round-robin (§7.3) and held as
 *   pending until the app answers (incoming.ts).
 * - App frames: responses to pending requests (uas.ts), new requests, in-dialog
 *   requests, ACK and CANCEL (uac.ts).
 *
 * This file holds the shared state and the network side; the app side lives
 * in uas.ts and uac.ts as functions over the same state.
 */
import type { Logger } from 'pino';
import {
  buildResponse,
  getHeader,
  getHeaders,
  getTag,
  parseCSeq,
  parseSipMessage,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
  splitList,
} from '../sip/index.ts';
import type { Counters } from '../stats.ts';
import { Timer, type TimerValues } from '../timers.ts';
import type { Inbound, LocalEndpoint, Remote, TcpConn, Transport } from '../transport/transport.ts';
import type { ClientTxn } from '../txn/client-txn.ts';
import type { TxnLayer } from '../txn/layer.ts';
import type { ServerTxn } from '../txn/server-txn.ts';
import type { AppConnection, AppFrameHandler, ControlServer } from '../wire/control.ts';
import { nokFrame, noFrame, sipFrame, type WireMeta } from '../wire/frames.ts';
import { dropBadAppHeaderLines } from './compose.ts';
import { type Dialog, DialogTable, dialogId } from './dialog.ts';
import { IdSource, newTag } from './ids.ts';
import { relayText, stampVia } from './relay-text.ts';
import { dialogRequest, handleAppRequest, serverBye } from './uac.ts';
import { handleAppResponse } from './uas.ts';

/** An incoming request handed to an app and not yet answered finally. */
export interface Incoming {
  txnId: string;
  txn: ServerTxn;
  /** The request as received, top Via stamped (as relayed). */
  req: SipRequest;
  inb: Inbound;
  conn: AppConnection;
  /** Dialog the request belongs to (in-dialog) or created by the app's answer (INVITE). */
  dialog: Dialog | undefined;
  /** True for an out-of-dialog INVITE (dialog-creating). */
  initialInvite: boolean;
  /** To tag for our responses, fixed by the first response. */
  localTag: string | undefined;
  /** Any response sent by the app. */
  answered: boolean;
  /** Guard against an app that never answers. */
  guard: Timer | undefined;
  /** Reliable provisional awaiting PRACK (RFC 3262): retransmission and give-up timers. */
  rel:
    | { rseq: number; bytes: Buffer; interval: number; resend: Timer | undefined; giveUp: Timer }
    | undefined;
  mergeKey: string | undefined;
}

/** A request the app sent, until its client transaction ends. */
export interface Outgoing {
  txnId: string;
  conn: AppConnection;
  txn: ClientTxn | undefined;
  readonly method: string;
  /**
   * The request, for a CANCEL, until its final response: the transaction
   * lingers for up to 64*T1 afterwards (2xx retransmissions are re-ACKed from
   * the dialog), and under load keeping every parsed INVITE that long kept
   * thousands of them in the heap.
   */
  req: SipRequest | undefined;
  /**
   * The request's dialog until that dialog ends (`endDialog`, or the final
   * response if it ended then): the transaction lingers up to 64*T1 after
   * its final response, and keeping every ended dialog (whose remote target
   * is a slice of the whole 200 OK text) that long made each call's objects
   * live long enough to be copied into the old generation under load.
   */
  dialog: Dialog | undefined;
  /** Id of the dialog an initial INVITE created, kept for `failedDialogs` after `dialog` is let go. */
  readonly dialogId: string | undefined;
  /** Initial INVITE (creates `dialog`). */
  creates: boolean;
  cancelled: boolean;
  /** CANCEL built but held until a provisional arrives (§7.7). */
  heldCancel: { req: SipRequest; bytes: Buffer } | undefined;
  /** After a CANCEL: give up on the INVITE if no final response comes. */
  cancelGuard: Timer | undefined;
  /** Where the request went. */
  dest: Remote;
}

export const METHODS_WITHOUT_RECORD_ROUTE = new Set([
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'PRACK',
  'PUBLISH',
]);

export class SipCore implements AppFrameHandler {
  readonly ids = new IdSource();
  readonly dialogs: DialogTable;
  readonly incoming = new Map<string, Incoming>();
  /** Incoming INVITEs by server transaction key (for CANCEL). */
  readonly incomingByKey = new Map<string, Incoming>();
  /** Out-of-dialog requests in progress by Call-ID|From tag|CSeq (merged requests, §8.2.2.2). */
  readonly merge = new Map<string, Incoming>();
  readonly outgoing = new Map<string, Outgoing>();
  /**
   * TCP connections of registered contacts (`user@host` of the Contact) after
   * a 2xx to a REGISTER that came over TCP: later requests to that contact
   * reuse the connection (phones behind NAT do not accept new ones, §7.2).
   */
  readonly registeredFlows = new Map<string, TcpConn>();
  /** Ids of UAC dialogs whose INVITE failed, while its transaction lives (for the ACK NOK text). */
  readonly failedDialogs = new Set<string>();

  constructor(
    readonly transport: Transport,
    readonly layer: TxnLayer,
    readonly counters: Counters,
    readonly timers: TimerValues,
    private readonly controlRef: () => ControlServer,
    readonly log: Logger | undefined,
  ) {
    this.dialogs = new DialogTable(counters);
  }

  get control(): ControlServer {
    return this.controlRef();
  }

  /** Frame id for server-originated frames. */
  sid(): string {
    return this.control.nextId();
  }

  // ---- app side -------------------------------------------------------------------

  onSipFrame(conn: AppConnection, msgId: string, tokens: string[], sipText: string): void {
    const txnId = tokens[2] ?? '';
    const dlgId = tokens[3] ?? '';
    const routeUri = tokens[4] ?? '';
    const parsed = parseSipMessage(Buffer.from(dropBadAppHeaderLines(sipText), 'utf8'), {
      bodyFromRest: true,
      maxSize: 1024 * 1024,
    });
    if (!parsed.ok) {
      const line = sipText.slice(0, Math.max(0, sipText.indexOf('\r'))).slice(0, 200);
      conn.send(nokFrame(this.sid(), msgId, `invalid request-uri: ${line || parsed.error}`));
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'response') {
      if (!txnId) {
        conn.send(noFrame(this.sid(), msgId, 'transaction id missing'));
        conn.socket.destroy();
        return;
      }
      handleAppResponse(this, conn, msgId, txnId, msg);
      return;
    }
    handleAppRequest(this, conn, msgId, txnId, dlgId, routeUri, msg);
  }

  onAppClosed(conn: AppConnection): void {
    // §12.4 (embedded): pending requests of a vanished app are answered 503 at once.
    for (const inc of [...this.incoming.values()]) {
      if (inc.conn !== conn) continue;
      this.respondLocally(inc, 503, 'Service Unavailable');
    }
  }

  // ---- network side ---------------------------------------------------------------

  onNetworkMessage(inb: Inbound): void {
    if (inb.msg.kind === 'response') {
      this.layer.dispatchResponse(inb.msg, inb);
      return;
    }
    // The top Via is stamped (received/rport) before anything else, as
    // drachtio-server does (§3.2, §7.2): every answer, whether the app's, the
    // transaction layer's or the core's own (100, 481, 487, 503...), copies
    // it, so a peer behind NAT learns where its answers went.
    const msg = stamped(inb.msg, inb);
    if (!msg) {
      this.replyStateless(inb.msg, inb.src, 400, 'Bad Request');
      return;
    }
    if (msg.method === 'ACK') {
      this.onAck(msg, inb);
      return;
    }
    const existing = this.layer.findServer(msg);
    if (existing) {
      existing.onRetransmit();
      return;
    }
    if (msg.method === 'CANCEL') {
      this.onCancel(msg, inb);
      return;
    }
    const toTag = getTag(getHeader(msg, 'to'));
    if (toTag !== undefined) this.onInDialogRequest(msg, inb, toTag);
    else this.onNewRequest(msg, inb);
  }

  /** Answers statelessly (no transaction): for requests refused before any state exists. */
  replyStateless(
    req: SipRequest,
    src: Remote,
    status: number,
    reason: string,
    headers: SipHeader[] = [],
  ): void {
    if (req.method === 'ACK') return;
    this.transport.send(
      src,
      serializeSipMessage(buildResponse(req, status, reason, headers)),
      `response ${status}`,
    );
  }

  /** Answers through a new server transaction, so retransmissions get the same answer. */
  replyWithTxn(req: SipRequest, src: Remote, status: number, reason: string, toTag?: string): void {
    const txn = this.layer.createServer(req, src);
    const res = buildResponse(req, status, reason, [], toTag === undefined ? {} : { toTag });
    const bytes = serializeSipMessage(res);
    if (txn) txn.respond(status, bytes);
    else this.transport.send(src, bytes, `response ${status}`);
  }

  private onAck(ack: SipRequest, inb: Inbound): void {
    const inviteTxn = this.layer.findServer(ack, 'INVITE');
    if (inviteTxn && inviteTxn.state !== 'accepted') {
      // ACK for a non-2xx final: absorbed by the transaction (§17.2.1), never relayed.
      inviteTxn.onAck();
      return;
    }
    const toTag = getTag(getHeader(ack, 'to'));
    const fromTag = getTag(getHeader(ack, 'from'));
    const callId = getHeader(ack, 'call-id');
    if (toTag === undefined || fromTag === undefined || callId === undefined) return;
    const dialog = this.dialogs.match(callId, toTag, fromTag);
    const cseq = parseCSeq(getHeader(ack, 'cseq') ?? '');
    const awaited = dialog?.awaitedAck;
    if (!dialog || !awaited || !cseq || cseq.seq !== awaited.cseq) return; // stray or retransmitted ACK
    dialog.awaitedAck = undefined;
    awaited.txn.onAckFor2xx();
    this.relay(dialog.conn, ack, inb, awaited.txnId, dialog.id);
  }

  private onCancel(cancel: SipRequest, inb: Inbound): void {
    const inviteTxn = this.layer.findServer(cancel, 'INVITE');
    if (!inviteTxn) {
      this.replyWithTxn(cancel, inb.src, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const inc = this.incomingByKey.get(inviteTxn.key);
    if (!inc) {
      // Final response already sent: after a 2xx only 481 (§7.5 case 3); after a non-2xx, 200.
      if (inviteTxn.lastStatus >= 200 && inviteTxn.lastStatus < 300) {
        this.replyWithTxn(cancel, inb.src, 481, 'Call/Transaction Does Not Exist');
      } else {
        this.replyWithTxn(cancel, inb.src, 200, 'OK', getTag(getHeader(cancel, 'to')));
      }
      return;
    }
    // §7.5 cases 1 and 2: 200 to the CANCEL and 487 to the INVITE, one To tag for both.
    const tag = inc.localTag ?? newTag();
    inc.localTag = tag;
    this.replyWithTxn(cancel, inb.src, 200, 'OK', tag);
    const dlg = inc.answered && inc.dialog ? inc.dialog.id : '';
    const res487 = buildResponse(inc.req, 487, 'Request Terminated', [], { toTag: tag });
    inc.txn.respond(487, serializeSipMessage(res487));
    this.finishIncoming(inc);
    if (inc.dialog && inc.dialog.state !== 'confirmed') this.endDialog(inc.dialog);
    this.relay(inc.conn, cancel, inb, inc.txnId, dlg);
  }

  private onInDialogRequest(req: SipRequest, inb: Inbound, toTag: string): void {
    const callId = getHeader(req, 'call-id') ?? '';
    const fromTag = getTag(getHeader(req, 'from')) ?? '';
    const dialog = this.dialogs.match(callId, toTag, fromTag);
    if (!dialog || dialog.state === 'failed') {
      this.replyWithTxn(req, inb.src, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (req.method === 'INVITE' && getHeader(req, 'contact') === undefined) {
      this.replyWithTxn(req, inb.src, 400, 'Bad Request');
      return;
    }
    const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
    if (!cseq) return;
    if (dialog.remoteCseq >= 0 && cseq.seq <= dialog.remoteCseq && req.method !== 'PRACK') {
      // Out of order (§12.2.2).
      this.replyWithTxn(req, inb.src, 500, 'Server Internal Error');
      return;
    }
    dialog.remoteCseq = cseq.seq;
    if (dialog.conn.closed) {
      // The owner is gone (§7.9): 481; a BYE still ends the dialog.
      this.replyWithTxn(req, inb.src, 481, 'Call/Transaction Does Not Exist');
      if (req.method === 'BYE') this.endDialog(dialog);
      return;
    }
    if (inb.src.conn) dialog.tcp = inb.src.conn;
    if (req.method === 'INVITE') {
      const contact = firstContactUri(req);
      if (contact) dialog.remoteTarget = contact;
    }
    if (req.method === 'PRACK') dialog.onPrack?.(getHeader(req, 'rack') ?? '');
    const inc = this.admit(req, inb, dialog.conn, dialog, false);
    if (!inc) return;
    if (req.method === 'BYE') this.endDialog(dialog);
    this.relay(dialog.conn, inc.req, inb, inc.txnId, dialog.id);
  }

  private onNewRequest(req: SipRequest, inb: Inbound): void {
    const method = req.method;
    if (method === 'BYE' || method === 'UPDATE' || method === 'PRACK') {
      if (method === 'PRACK') return;
      this.replyWithTxn(req, inb.src, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const callId = getHeader(req, 'call-id') ?? '';
    const fromTag = getTag(getHeader(req, 'from')) ?? '';
    const cseqText = getHeader(req, 'cseq') ?? '';
    const mergeKey = `${callId}\n${fromTag}\n${cseqText}`;
    if (this.merge.has(mergeKey)) {
      // Same request arriving on another branch: merged or looped (§8.2.2.2).
      this.replyWithTxn(req, inb.src, 482, 'Loop Detected');
      return;
    }
    if (method === 'REGISTER') {
      const contact = getHeaders(req, 'contact');
      if (contact.some((c) => c.trim() === '*')) {
        const expires = getHeader(req, 'expires');
        if (expires === undefined || Number(expires.trim()) !== 0 || contact.length > 1) {
          this.replyWithTxn(req, inb.src, 400, 'Bad Request');
          return;
        }
      }
    }
    if (method === 'INVITE') {
      // A tag-less INVITE landing on an established dialog of ours (a late
      // copy of the initial INVITE on a new branch): 491 (§7.9).
      const d = this.dialogs.get(dialogId(callId, fromTag));
      if (d && d.role === 'uas' && d.state === 'confirmed') {
        this.replyWithTxn(req, inb.src, 491, 'Request Pending');
        return;
      }
    }
    const conn = this.control.routes.pick(method);
    if (!conn) {
      if (method === 'INVITE') {
        const txn = this.layer.createServer(req, inb.src);
        txn?.respond(100, serializeSipMessage(buildResponse(req, 100, 'Trying')));
        txn?.respond(503, serializeSipMessage(buildResponse(req, 503, 'Service Unavailable')));
        return;
      }
      this.replyWithTxn(req, inb.src, 503, 'Service Unavailable');
      return;
    }
    const inc = this.admit(req, inb, conn, undefined, method === 'INVITE');
    if (!inc) return;
    inc.mergeKey = mergeKey;
    this.merge.set(mergeKey, inc);
    const local = inb.local;
    this.relay(conn, inc.req, inb, inc.txnId, '', { host: local.advertised, port: local.port });
  }

  /** Creates the server transaction (100 Trying for INVITE) and the pending entry. */
  private admit(
    req: SipRequest,
    inb: Inbound,
    conn: AppConnection,
    dialog: Dialog | undefined,
    initialInvite: boolean,
  ): Incoming | undefined {
    const txn = this.layer.createServer(req, inb.src);
    if (!txn) return undefined;
    if (req.method === 'INVITE') {
      txn.respond(100, serializeSipMessage(buildResponse(req, 100, 'Trying')));
    }
    const inc: Incoming = {
      txnId: this.ids.next(),
      txn,
      req,
      inb,
      conn,
      dialog,
      initialInvite,
      localTag: dialog ? dialog.localTag : undefined,
      answered: false,
      guard: undefined,
      rel: undefined,
      mergeKey: undefined,
    };
    // An app that never answers: answered by us after 64*T1 (§12.4, embedded column).
    inc.guard = new Timer(this.counters, this.timers.t64, () => {
      inc.guard = undefined;
      if (!inc.answered) {
        const status = dialog ? 500 : req.method === 'INVITE' ? 480 : 503;
        const reason =
          status === 500
            ? 'Server Internal Error'
            : status === 480
              ? 'Temporarily Unavailable'
              : 'Service Unavailable';
        this.respondLocally(inc, status, reason);
      }
    });
    this.incoming.set(inc.txnId, inc);
    this.counters.pendingRequests++;
    if (req.method === 'INVITE') this.incomingByKey.set(txn.key, inc);
    return inc;
  }

  /** Final response of our own to a pending request (app gone, app silent). */
  respondLocally(inc: Incoming, status: number, reason: string): void {
    const tag = inc.localTag ?? newTag();
    const res = buildResponse(inc.req, status, reason, [], { toTag: tag });
    inc.txn.respond(status, serializeSipMessage(res));
    this.finishIncoming(inc);
    if (inc.initialInvite && inc.dialog && inc.dialog.state !== 'confirmed')
      this.endDialog(inc.dialog);
  }

  /** Forget a pending request (final response sent or request cancelled). */
  finishIncoming(inc: Incoming): void {
    if (this.incoming.get(inc.txnId) !== inc) return;
    this.incoming.delete(inc.txnId);
    this.counters.pendingRequests--;
    inc.guard?.clear();
    inc.guard = undefined;
    stopReliable(inc);
    if (this.incomingByKey.get(inc.txn.key) === inc) this.incomingByKey.delete(inc.txn.key);
    if (inc.mergeKey !== undefined && this.merge.get(inc.mergeKey) === inc)
      this.merge.delete(inc.mergeKey);
  }

  /** Sends a received message to an app as a `sip` frame. */
  relay(
    conn: AppConnection,
    msg: SipRequest | SipResponse,
    inb: Inbound | undefined,
    txnId: string,
    dlgId: string,
    receivedOn?: { host: string; port: number },
  ): void {
    let text: string | undefined;
    if (inb)
      text =
        msg.kind === 'request'
          ? relayText(inb.raw, inb.src.address, inb.src.port)
          : inb.raw.toString('utf8');
    if (text === undefined) text = serializeSipMessage(msg).toString('utf8');
    const meta: WireMeta = inb
      ? {
          bytes: inb.bytes,
          protocol: inb.src.protocol,
          address: inb.src.address,
          port: inb.src.port,
        }
      : { bytes: Buffer.byteLength(text), protocol: 'udp', address: '', port: 0 };
    conn.send(sipFrame(this.sid(), 'network', meta, txnId, dlgId, text, receivedOn));
  }

  /** Ends a dialog: timers stopped, table entry removed. Idempotent. */
  endDialog(d: Dialog): void {
    if (d.state === 'terminated') return;
    // A BYE before the ACK: stop retransmitting our 2xx (the call is over).
    d.awaitedAck?.txn.onAckFor2xx();
    d.awaitedAck = undefined;
    d.sessionTimer?.clear();
    d.sessionTimer = undefined;
    d.onPrack = undefined;
    // Only a refresh re-offers it; the dialog object may stay referenced by a
    // lingering transaction for up to 64*T1.
    d.localSdp = undefined;
    this.dialogs.remove(d);
    // The INVITE that created it may linger 64*T1 more; it no longer needs the dialog.
    const creator = d.creatorTxnId === undefined ? undefined : this.outgoing.get(d.creatorTxnId);
    if (creator?.dialog === d) creator.dialog = undefined;
  }

  /** In-dialog request built from the dialog state (uac.ts). */
  buildDialogRequest(
    d: Dialog,
    method: string,
    uri: string,
    headers: SipHeader[],
    body: Buffer,
    cseq: number,
  ): ReturnType<typeof dialogRequest> {
    return dialogRequest(this, d, method, uri, headers, body, cseq);
  }

  serverBye(d: Dialog, text: string): void {
    serverBye(this, d, text);
  }

  /** Local endpoint used for a protocol (for Via/Contact/From defaults). */
  local(protocol: 'udp' | 'tcp'): LocalEndpoint | undefined {
    return this.transport.localFor(protocol);
  }

  close(): void {
    // Shutting down: pending requests get a final answer rather than silence.
    for (const inc of [...this.incoming.values()])
      this.respondLocally(inc, 503, 'Service Unavailable');
    for (const out of [...this.outgoing.values()]) {
      out.cancelGuard?.clear();
      out.cancelGuard = undefined;
    }
    for (const d of this.dialogs.all()) this.endDialog(d);
  }

  /** The dialog id an INVITE from the network gets: Call-ID and the caller's From tag. */
  static uasDialogId(req: SipRequest): string {
    return dialogId(getHeader(req, 'call-id') ?? '', getTag(getHeader(req, 'from')) ?? '');
  }
}

/** The request with its top Via stamped (received/rport), as relayed to the app (§3.2). */
export function stamped(req: SipRequest, inb: Inbound): SipRequest | undefined {
  // Same re-encoding as the relayed text (parameter spelling kept), so that
  // our responses copy the Via exactly as the app saw it.
  const idx = req.headers.findIndex((h) => {
    const n = h.name.toLowerCase();
    return n === 'via' || n === 'v';
  });
  const line = req.headers[idx];
  if (!line) return undefined;
  const values = line.value.indexOf(',') < 0 ? [line.value] : splitList(line.value);
  const first = values?.[0];
  const top = first === undefined ? undefined : stampVia(first, inb.src.address, inb.src.port);
  if (!values || top === undefined) return undefined;
  const headers = req.headers.slice(0, idx);
  headers.push({ name: 'Via', value: top });
  if (values.length > 1) headers.push({ name: line.name, value: values.slice(1).join(', ') });
  for (let i = idx + 1; i < req.headers.length; i++) headers.push(req.headers[i] as SipHeader);
  return { ...req, headers };
}

/** The URI of the first Contact of a message, if any. */
export function firstContactUri(msg: SipRequest | SipResponse): string | undefined {
  const c = getHeaders(msg, 'contact')[0];
  if (c === undefined) return undefined;
  const lt = c.indexOf('<');
  if (lt >= 0) {
    const gt = c.indexOf('>', lt);
    return gt > lt ? c.slice(lt + 1, gt) : undefined;
  }
  const semi = c.indexOf(';');
  return (semi >= 0 ? c.slice(0, semi) : c).trim();
}

/** Stops the retransmission of a reliable provisional (PRACK received, final sent, or given up). */
export function stopReliable(inc: Incoming): void {
  const rel = inc.rel;
  if (!rel) return;
  inc.rel = undefined;
  rel.resend?.clear();
  rel.giveUp.clear();
}
