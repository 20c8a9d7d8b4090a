/**
 * Requests from the network (drachtio-wire.md §7.3–§7.5, §7.9): the top Via
 * stamped before anything answers, ACK matched to its dialog, CANCEL
 * answered for the app, in-dialog requests routed to the app that owns the
 * dialog, new requests to an app that routed the method, and what the
 * server refuses by itself (481, 482, 491, 500, 503).
 */
import {
  buildResponse,
  getHeader,
  getHeaders,
  getTag,
  parseCSeq,
  type SipHeader,
  type SipRequest,
  serializeSipMessage,
} from '../sip/index.ts';
import type { Inbound, Remote } from '../transport/transport.ts';
import type { AppConnection } from '../wire/control.ts';
import { firstContactUri } from './compose.ts';
import type { UaContext } from './context.ts';
import { type Dialog, dialogId } from './dialog.ts';
import { stamped } from './relay-text.ts';

export function onNetworkMessage(ctx: UaContext, inb: Inbound): void {
  if (inb.msg.kind === 'response') {
    ctx.layer.dispatchResponse(inb.msg, inb);
    return;
  }
  // The top Via is stamped (received/rport) before anything else, as
  // drachtio-server does (§3.2, §7.2): every answer, whether the app's, the
  // transaction layer's or the core's own (100, 481, 487, 503...), copies
  // it, so a peer behind NAT learns where its answers went.
  const msg = stamped(inb.msg, inb);
  if (!msg) {
    replyStateless(ctx, inb.msg, inb.src, 400, 'Bad Request');
    return;
  }
  if (msg.method === 'ACK') {
    onAck(ctx, msg, inb);
    return;
  }
  const existing = ctx.layer.findServer(msg);
  if (existing) {
    existing.onRetransmit();
    return;
  }
  if (msg.method === 'CANCEL') {
    onCancel(ctx, msg, inb);
    return;
  }
  const toTag = getTag(getHeader(msg, 'to'));
  if (toTag !== undefined) onInDialogRequest(ctx, msg, inb, toTag);
  else onNewRequest(ctx, msg, inb);
}

/** The pending requests of an app that went away are answered 503 at once (§12.4, embedded). */
export function onAppClosed(ctx: UaContext, conn: AppConnection): void {
  for (const p of ctx.pending.ofConnection(conn))
    ctx.pending.respondLocally(p, 503, 'Service Unavailable');
}

/** Answers statelessly (no transaction): for requests refused before any state exists. */
function replyStateless(
  ctx: UaContext,
  req: SipRequest,
  src: Remote,
  status: number,
  reason: string,
  headers: SipHeader[] = [],
): void {
  if (req.method === 'ACK') return;
  const bytes = serializeSipMessage(buildResponse(req, status, reason, headers));
  ctx.transport.send(src, bytes, `response ${status}`);
}

/** Answers through a new server transaction, so retransmissions get the same answer. */
function replyWithTxn(
  ctx: UaContext,
  req: SipRequest,
  src: Remote,
  status: number,
  reason: string,
  toTag?: string,
): void {
  const txn = ctx.layer.createServer(req, src);
  const res = buildResponse(req, status, reason, [], toTag === undefined ? {} : { toTag });
  const bytes = serializeSipMessage(res);
  if (txn) txn.respond(status, bytes);
  else ctx.transport.send(src, bytes, `response ${status}`);
}

function onAck(ctx: UaContext, ack: SipRequest, inb: Inbound): void {
  const inviteTxn = ctx.layer.findServer(ack, 'INVITE');
  if (inviteTxn && inviteTxn.state !== 'accepted') {
    // ACK for a non-2xx final: absorbed by the transaction (§17.2.1), never relayed.
    inviteTxn.onAck();
    return;
  }
  const toTag = getTag(getHeader(ack, 'to'));
  const fromTag = getTag(getHeader(ack, 'from'));
  const callId = getHeader(ack, 'call-id');
  if (toTag === undefined || fromTag === undefined || callId === undefined) return;
  const dialog = ctx.dialogs.match(callId, toTag, fromTag);
  const cseq = parseCSeq(getHeader(ack, 'cseq') ?? '');
  const awaited = dialog?.awaitedAck;
  if (!dialog || !awaited || !cseq || cseq.seq !== awaited.cseq) return; // stray or retransmitted ACK
  dialog.awaitedAck = undefined;
  awaited.txn.onAckFor2xx();
  ctx.relay(dialog.conn, ack, inb, awaited.txnId, dialog.id);
}

function onCancel(ctx: UaContext, cancel: SipRequest, inb: Inbound): void {
  const inviteTxn = ctx.layer.findServer(cancel, 'INVITE');
  if (!inviteTxn) {
    replyWithTxn(ctx, cancel, inb.src, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  const inc = ctx.pending.forInvite(inviteTxn.key);
  if (!inc) {
    // Final response already sent: after a 2xx only 481 (§7.5 case 3); after a non-2xx, 200.
    if (inviteTxn.lastStatus >= 200 && inviteTxn.lastStatus < 300) {
      replyWithTxn(ctx, cancel, inb.src, 481, 'Call/Transaction Does Not Exist');
    } else {
      replyWithTxn(ctx, cancel, inb.src, 200, 'OK', getTag(getHeader(cancel, 'to')));
    }
    return;
  }
  // §7.5 cases 1 and 2: 200 to the CANCEL and 487 to the INVITE, one To tag for both.
  const tag = inc.localTag ?? ctx.ids.tag();
  inc.localTag = tag;
  replyWithTxn(ctx, cancel, inb.src, 200, 'OK', tag);
  const dlg = inc.answered && inc.dialog ? inc.dialog.id : '';
  const res487 = buildResponse(inc.req, 487, 'Request Terminated', [], { toTag: tag });
  inc.txn.respond(487, serializeSipMessage(res487));
  ctx.pending.finish(inc);
  if (inc.dialog && inc.dialog.state !== 'confirmed') ctx.dialogs.end(inc.dialog);
  ctx.relay(inc.conn, cancel, inb, inc.txnId, dlg);
}

function onInDialogRequest(ctx: UaContext, req: SipRequest, inb: Inbound, toTag: string): void {
  const callId = getHeader(req, 'call-id') ?? '';
  const fromTag = getTag(getHeader(req, 'from')) ?? '';
  const dialog = ctx.dialogs.match(callId, toTag, fromTag);
  if (!dialog) {
    replyWithTxn(ctx, req, inb.src, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  if (req.method === 'INVITE' && getHeader(req, 'contact') === undefined) {
    replyWithTxn(ctx, req, inb.src, 400, 'Bad Request');
    return;
  }
  const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
  if (!cseq) return;
  if (dialog.remoteCseq >= 0 && cseq.seq <= dialog.remoteCseq && req.method !== 'PRACK') {
    // Out of order (§12.2.2).
    replyWithTxn(ctx, req, inb.src, 500, 'Server Internal Error');
    return;
  }
  dialog.remoteCseq = cseq.seq;
  if (dialog.conn.closed) {
    // The owner is gone (§7.9): 481; a BYE still ends the dialog.
    replyWithTxn(ctx, req, inb.src, 481, 'Call/Transaction Does Not Exist');
    if (req.method === 'BYE') ctx.dialogs.end(dialog);
    return;
  }
  if (inb.src.conn) dialog.tcp = inb.src.conn;
  if (req.method === 'INVITE') {
    const contact = firstContactUri(req);
    if (contact) dialog.remoteTarget = contact;
  }
  if (req.method === 'PRACK') dialog.onPrack?.(getHeader(req, 'rack') ?? '');
  const inc = ctx.pending.admit(req, inb, dialog.conn, dialog, false);
  if (!inc) return;
  if (req.method === 'BYE') ctx.dialogs.end(dialog);
  ctx.relay(dialog.conn, inc.req, inb, inc.txnId, dialog.id);
}

function onNewRequest(ctx: UaContext, req: SipRequest, inb: Inbound): void {
  const method = req.method;
  if (method === 'BYE' || method === 'UPDATE' || method === 'PRACK') {
    if (method === 'PRACK') return;
    replyWithTxn(ctx, req, inb.src, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  const callId = getHeader(req, 'call-id') ?? '';
  const fromTag = getTag(getHeader(req, 'from')) ?? '';
  const cseqText = getHeader(req, 'cseq') ?? '';
  const mergeKey = `${callId}\n${fromTag}\n${cseqText}`;
  if (ctx.pending.isMerged(mergeKey)) {
    // Same request arriving on another branch: merged or looped (§8.2.2.2).
    replyWithTxn(ctx, req, inb.src, 482, 'Loop Detected');
    return;
  }
  if (method === 'REGISTER' && !validWildcardContact(req)) {
    replyWithTxn(ctx, req, inb.src, 400, 'Bad Request');
    return;
  }
  if (method === 'INVITE') {
    // A tag-less INVITE landing on an established dialog of ours (a late
    // copy of the initial INVITE on a new branch): 491 (§7.9).
    const d: Dialog | undefined = ctx.dialogs.get(dialogId(callId, fromTag));
    if (d && d.role === 'uas' && d.state === 'confirmed') {
      replyWithTxn(ctx, req, inb.src, 491, 'Request Pending');
      return;
    }
  }
  const conn = ctx.pickApp(method);
  if (!conn) {
    if (method === 'INVITE') {
      const txn = ctx.layer.createServer(req, inb.src);
      txn?.respond(100, serializeSipMessage(buildResponse(req, 100, 'Trying')));
      txn?.respond(503, serializeSipMessage(buildResponse(req, 503, 'Service Unavailable')));
      return;
    }
    replyWithTxn(ctx, req, inb.src, 503, 'Service Unavailable');
    return;
  }
  const inc = ctx.pending.admit(req, inb, conn, undefined, method === 'INVITE', mergeKey);
  if (!inc) return;
  const local = inb.local;
  ctx.relay(conn, inc.req, inb, inc.txnId, '', { host: local.advertised, port: local.port });
}

/** A REGISTER's `Contact: *` is valid only alone and with `Expires: 0` (§10.2.2). */
function validWildcardContact(req: SipRequest): boolean {
  const contact = getHeaders(req, 'contact');
  if (!contact.some((c) => c.trim() === '*')) return true;
  const expires = getHeader(req, 'expires');
  return expires !== undefined && Number(expires.trim()) === 0 && contact.length === 1;
}
