/**
 * Sending a request for an app and what its responses do
 * (drachtio-wire.md §7.6–§7.8): the client transaction, the echo frame
 * (written before any response can be relayed, §4.6), dialog state from the
 * responses to an INVITE, ACK of retransmitted 2xx, held CANCEL, and the
 * hang-up of a call whose app is gone.
 */
import {
  getHeader,
  getHeaders,
  getTag,
  parseCSeq,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
} from '../sip/index.ts';
import type { Inbound, Remote } from '../transport/transport.ts';
import type { ClientTxn, ClientTxnUser } from '../txn/client-txn.ts';
import type { AppConnection } from '../wire/control.ts';
import { requestEchoFrame } from '../wire/frames.ts';
import { sendCancel, startCancelTxn } from './cancel.ts';
import { CANCEL_SENT, type SentRequest } from './client-requests.ts';
import { firstContactUri } from './compose.ts';
import type { UaContext } from './context.ts';
import type { Dialog } from './dialog.ts';
import { dialogRequest } from './request-builder.ts';
import { serverBye } from './server-bye.ts';
import { armSessionTimer } from './session-timer.ts';

/** Starts the client transaction and writes the echo (before any response can be relayed). */
export function startSending(
  ctx: UaContext,
  conn: AppConnection,
  msgId: string,
  req: SipRequest,
  branch: string,
  dest: Remote,
  dialog: Dialog | undefined,
  creates: boolean,
): SentRequest {
  const bytes = serializeSipMessage(req);
  const s = ctx.sent.open(conn, req, dest, dialog, creates);
  s.txn = ctx.layer.startClient(req, bytes, branch, dest, new SentTxnUser(ctx, s));
  conn.send(
    requestEchoFrame(
      ctx.sid(),
      msgId,
      { bytes: bytes.length, protocol: dest.protocol, address: dest.address, port: dest.port },
      s.txnId,
      bytes.toString('utf8'),
    ),
  );
  return s;
}

/**
 * The client transaction's view of a `SentRequest`. A class rather than an
 * object of closures: the transaction keeps it for up to 64*T1 after the
 * final response, and under load the closures (each with its own property
 * store, as tsx names every inferred-name function) were most of what a call
 * left behind in the heap.
 */
class SentTxnUser implements ClientTxnUser {
  constructor(
    private readonly ctx: UaContext,
    private readonly s: SentRequest,
  ) {}

  onResponse(
    _txn: ClientTxn,
    res: SipResponse,
    inb: Inbound | undefined,
    retransmission: boolean,
  ): void {
    onSentResponse(this.ctx, this.s, res, inb, retransmission);
  }

  onTimerC(): void {
    // Ringing too long without a final answer: cancel like the real stack (§7.6).
    if (!this.s.cancelled && this.s.req) sendCancel(this.ctx, this.s, []);
  }

  onTerminated(): void {
    const { ctx, s } = this;
    ctx.sent.terminated(s);
    const d = s.dialog;
    if (s.creates && d && d.state !== 'confirmed') ctx.dialogs.end(d);
    // Only if no newer dialog took over the id (digest retry).
    if (s.dialogId !== undefined && !ctx.dialogs.get(s.dialogId))
      ctx.dialogs.forgetFailure(s.dialogId);
  }
}

/** Dialog state from a response to the INVITE that creates the dialog. */
function onCreatingResponse(
  ctx: UaContext,
  s: SentRequest,
  d: Dialog,
  res: SipResponse,
  inb: Inbound | undefined,
): void {
  const status = res.status;
  const toTag = getTag(getHeader(res, 'to'));
  if (status < 200) {
    if (toTag !== undefined && (d.state === 'pending' || d.state === 'early')) {
      if (d.remoteTag === undefined) ctx.dialogs.setRemoteTag(d, toTag);
      d.moveTo('early');
      const c = firstContactUri(res);
      if (c) d.remoteTarget = c;
    }
  } else if (status < 300) {
    if (toTag !== undefined && toTag !== d.remoteTag) ctx.dialogs.setRemoteTag(d, toTag);
    d.moveTo('confirmed');
    d.routeSet = getHeaders(res, 'record-route').reverse();
    d.remoteTarget = firstContactUri(res) ?? d.remoteTarget;
    d.ackable = { cseq: d.localCseq };
    if (inb?.src.conn) d.tcp = inb.src.conn;
    if (s.cancelled) d.cancelRace = true;
    else armSessionTimer(ctx, d, res, 'uac');
  } else {
    ctx.dialogs.fail(d);
  }
}

/** Dialog state from the final response to a re-INVITE we sent. */
function onReinviteFinal(ctx: UaContext, s: SentRequest, d: Dialog, res: SipResponse): void {
  if (d.pendingReinviteTxnId === s.txnId) d.pendingReinviteTxnId = undefined;
  if (res.status >= 300) return;
  const cseq = parseCSeq((s.req && getHeader(s.req, 'cseq')) ?? '')?.seq ?? d.localCseq;
  d.ackable = { cseq };
  const c = firstContactUri(res);
  if (c) d.remoteTarget = c;
  armSessionTimer(ctx, d, res, 'uac');
}

function onSentResponse(
  ctx: UaContext,
  s: SentRequest,
  res: SipResponse,
  inb: Inbound | undefined,
  retransmission: boolean,
): void {
  const d = s.dialog;
  const status = res.status;
  if (retransmission) {
    // A retransmitted 2xx: re-send the app's ACK if it went out; otherwise, or
    // once the dialog has ended (it is let go then), drop it (§7.6).
    const toTag = getTag(getHeader(res, 'to'));
    if (d?.ackable?.ack && toTag === d.remoteTag)
      ctx.transport.send(d.tcpDest(s.dest), d.ackable.ack, 'ACK');
    return;
  }
  if (s.creates && d && d.state !== 'terminated') onCreatingResponse(ctx, s, d, res, inb);
  else if (d && s.method === 'INVITE' && status >= 200) onReinviteFinal(ctx, s, d, res);
  if (status < 200 && s.cancel.state === 'held') {
    const held = s.cancel;
    s.cancel = CANCEL_SENT;
    startCancelTxn(ctx, s, held.req, held.bytes);
  }
  if (status >= 200) ctx.sent.answered(s);
  ctx.relay(s.conn, res, inb, s.txnId, d ? d.id : '');
  if (s.creates && d && status >= 200 && status < 300 && s.conn.closed && d.state === 'confirmed') {
    // Nobody will ACK this answer: acknowledge it and hang up at once
    // rather than leave the callee retransmitting into a dead call.
    const ack = dialogRequest(ctx, d, 'ACK', d.remoteTarget, [], Buffer.alloc(0), d.localCseq);
    if (typeof ack !== 'string' && d.ackable) {
      d.ackable.ack = serializeSipMessage(ack.req);
      ctx.transport.send(ack.dest, d.ackable.ack, 'ACK');
    }
    serverBye(ctx, d, 'Application gone');
  }
  if (d && s.method === 'BYE' && status >= 200 && status !== 401 && status !== 407)
    ctx.dialogs.end(d);
  // The transaction may linger 64*T1: an ended dialog is not kept that long.
  if (status >= 200 && d?.state === 'terminated') s.dialog = undefined;
}
