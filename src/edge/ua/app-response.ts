/**
 * The app answers a request the server relayed (drachtio-wire.md §7.4):
 * response composition, To tag, Contact and Record-Route rules, dialog
 * creation for INVITE, 2xx retransmission until ACK (through the server
 * transaction's Accepted state) and the "ACK timeout" BYE.
 */
import {
  getHeader,
  getHeaders,
  getTag,
  parseCSeq,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
} from '../sip/index.ts';
import type { Inbound } from '../transport/transport.ts';
import type { AppConnection } from '../wire/control.ts';
import { nokFrame, responseEchoFrame } from '../wire/frames.ts';
import { cleanAppHeaders, findAppHeader, firstContactUri, isSdp, stripTag } from './compose.ts';
import type { UaContext } from './context.ts';
import { Dialog, uasDialogId } from './dialog.ts';
import { serverBye } from './server-bye.ts';
import {
  armSessionTimer,
  peerRefreshed,
  rememberLocalSdp,
  sessionExpiresForAnswer,
} from './session-timer.ts';

/** Methods whose responses never copy Record-Route (they create no dialog). */
const METHODS_WITHOUT_RECORD_ROUTE = new Set([
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'PRACK',
  'PUBLISH',
]);

export const UNKNOWN_TXN = 'Response not sent due to unknown transaction';

export function handleAppResponse(
  ctx: UaContext,
  conn: AppConnection,
  msgId: string,
  txnId: string,
  appRes: SipResponse,
): void {
  const inc = ctx.pending.get(txnId);
  if (!inc) {
    conn.send(nokFrame(ctx.sid(), msgId, UNKNOWN_TXN));
    return;
  }
  const req = inc.req;
  const method = req.method;
  const status = appRes.status;
  const local = inc.inb.local;
  const app = cleanAppHeaders(appRes.headers, `${local.advertised}:${local.port}`);
  const take = (key: string): string | undefined => {
    const i = findAppHeader(app, key);
    if (i < 0) return undefined;
    const v = (app[i] as SipHeader).value;
    app.splice(i, 1);
    return v;
  };
  const from = take('from') ?? getHeader(req, 'from') ?? '';
  let to = take('to') ?? getHeader(req, 'to') ?? '';
  const callId = take('call-id') ?? getHeader(req, 'call-id') ?? '';
  const cseqText = take('cseq') ?? getHeader(req, 'cseq') ?? '';
  let contact = take('contact');
  let contentType = take('content-type');
  if (status > 100) {
    const appTag = getTag(to);
    if (inc.localTag === undefined) inc.localTag = appTag ?? ctx.ids.tag();
    if (appTag === undefined) to = `${to};tag=${inc.localTag}`;
  }
  const reliable1xx =
    status > 100 &&
    status < 200 &&
    app.some((h) => h.name === 'Require' && /\b100rel\b/i.test(h.value));
  if (reliable1xx && !supports100rel(req)) {
    conn.send(nokFrame(ctx.sid(), msgId, 'Remote endpoint does not support 100rel'));
    return;
  }
  const rseq = reliable1xx ? ctx.pending.nextRseq(inc) : 0;
  const defaultContact = `<sip:${local.advertised}:${local.port}${local.protocol === 'tcp' ? ';transport=tcp' : ''}>`;
  if (contact === undefined && (method === 'INVITE' || method === 'SUBSCRIBE')) {
    const inDialog = !inc.initialInvite && inc.dialog !== undefined;
    if (inDialog || (status >= 200 && status < 300) || reliable1xx) contact = defaultContact;
  }
  if (contentType === undefined && appRes.body.length > 0 && isSdp(appRes.body))
    contentType = 'application/sdp';

  const headers: SipHeader[] = [];
  for (const v of getHeaders(req, 'via')) headers.push({ name: 'Via', value: v });
  headers.push({ name: 'From', value: from });
  headers.push({ name: 'To', value: to });
  headers.push({ name: 'Call-ID', value: callId });
  headers.push({ name: 'CSeq', value: cseqText });
  if (status > 100 && status < 300 && !METHODS_WITHOUT_RECORD_ROUTE.has(method)) {
    for (const rr of getHeaders(req, 'record-route'))
      headers.push({ name: 'Record-Route', value: rr });
  }
  if (contact !== undefined) headers.push({ name: 'Contact', value: contact });
  if (reliable1xx) headers.push({ name: 'RSeq', value: String(rseq) });
  for (const h of app) headers.push(h);
  if (method === 'INVITE' && inc.initialInvite && status >= 200 && status < 300) {
    const se = sessionExpiresForAnswer(req, app);
    if (se) headers.push(se);
  }
  if (contentType !== undefined) headers.push({ name: 'Content-Type', value: contentType });
  const res: SipResponse = {
    kind: 'response',
    version: 'SIP/2.0',
    status,
    reason: appRes.reason,
    headers,
    body: appRes.body,
  };
  const bytes = serializeSipMessage(res);
  if (!inc.txn.respond(status, bytes)) {
    ctx.pending.finish(inc);
    conn.send(nokFrame(ctx.sid(), msgId, UNKNOWN_TXN));
    return;
  }
  ctx.pending.answered(inc);
  if (status >= 200) ctx.pending.stopReliable(inc);

  let echoDialogId = '';
  if (method === 'INVITE') {
    const cseq = parseCSeq(cseqText)?.seq ?? parseCSeq(getHeader(req, 'cseq') ?? '')?.seq ?? 0;
    if (inc.initialInvite) {
      if (status > 100 && status < 300 && !inc.dialog) {
        inc.dialog = createUasDialog(
          ctx,
          inc.req,
          inc.conn,
          inc.localTag as string,
          contact ?? defaultContact,
          inc.inb,
        );
      }
      const d = inc.dialog;
      if (d && reliable1xx) ctx.pending.sendReliably(inc, d, rseq, bytes);
      rememberLocalSdp(d, res);
      if (d && status >= 200 && status < 300) {
        d.moveTo('confirmed');
        armSessionTimer(ctx, d, res, 'uas');
        d.awaitedAck = { cseq, txn: inc.txn, txnId: inc.txnId };
        inc.txn.user = { onAckTimeout: () => ackTimeout(ctx, d) };
      } else if (d && status >= 300) {
        ctx.dialogs.end(d);
      }
      echoDialogId = d?.id ?? uasDialogId(req);
    } else if (inc.dialog) {
      const d = inc.dialog;
      rememberLocalSdp(d, res);
      if (status >= 200 && status < 300) {
        armSessionTimer(ctx, d, res, 'uas', req);
        if (contact !== undefined) d.localContact = contact;
        d.awaitedAck = { cseq, txn: inc.txn, txnId: ctx.nextTxnId() };
      }
      echoDialogId = d.id;
    }
  } else if (inc.dialog && method !== 'BYE') {
    if (method === 'UPDATE' && status >= 200 && status < 300) peerRefreshed(ctx, inc.dialog, req);
    echoDialogId = inc.dialog.id;
  }
  if (method === 'REGISTER' && status >= 200 && status < 300) ctx.flows.remember(inc.req, inc.inb);
  if (status >= 200) ctx.pending.finish(inc);
  const text = bytes.toString('utf8');
  conn.send(
    responseEchoFrame(
      ctx.sid(),
      msgId,
      {
        bytes: bytes.length,
        protocol: inc.inb.src.protocol,
        address: inc.inb.src.address,
        port: inc.inb.src.port,
      },
      txnId,
      echoDialogId,
      text,
    ),
  );
}

function createUasDialog(
  ctx: UaContext,
  req: SipRequest,
  conn: AppConnection,
  localTag: string,
  localContact: string,
  inb: Inbound,
): Dialog {
  const callId = getHeader(req, 'call-id') ?? '';
  const d = new Dialog(uasDialogId(req), callId, localTag, 'uas', conn, inb.src.protocol);
  d.remoteTag = getTag(getHeader(req, 'from'));
  d.remoteAor = stripTag(getHeader(req, 'from') ?? '');
  d.localAor = stripTag(getHeader(req, 'to') ?? '');
  const cseq = parseCSeq(getHeader(req, 'cseq') ?? '')?.seq ?? 0;
  d.localCseq = cseq;
  d.remoteCseq = cseq;
  d.remoteTarget = firstContactUri(req) ?? req.uri;
  d.routeSet = getHeaders(req, 'record-route');
  d.localContact = localContact;
  d.tcp = inb.src.conn;
  d.moveTo('early');
  ctx.dialogs.add(d);
  return d;
}

/** No ACK for our 2xx within 64*T1: BYE on the wire and an unsolicited BYE to the app (§3.4). */
function ackTimeout(ctx: UaContext, d: Dialog): void {
  if (d.state === 'terminated') return;
  d.awaitedAck = undefined;
  serverBye(ctx, d, 'ACK timeout');
}

function supports100rel(req: SipRequest): boolean {
  const tags = [...getHeaders(req, 'supported'), ...getHeaders(req, 'require')];
  return tags.some((t) => t.trim().toLowerCase() === '100rel');
}
