/**
 * Requests the app sends (drachtio-wire.md §4.2, §7.6–§7.8): the frame's
 * dialog or transaction id says which kind, and a new out-of-dialog request
 * gets the headers §7.6 fills in. Every A→S frame gets exactly one
 * `response` frame, written after the message went to the transport and
 * therefore before any relayed response (§4.6).
 */
import {
  getHeader,
  getTag,
  parseCSeq,
  parseUri,
  type SipHeader,
  type SipRequest,
} from '../sip/index.ts';
import type { Remote } from '../transport/transport.ts';
import type { AppConnection } from '../wire/control.ts';
import { nokFrame } from '../wire/frames.ts';
import { appCancel } from './cancel.ts';
import { cleanAppHeaders, stripTag, takeContentType, taker, toFromRequestUri } from './compose.ts';
import type { UaContext } from './context.ts';
import { Dialog, dialogId } from './dialog.ts';
import { appAck, appInDialog, sendInDialog } from './in-dialog.ts';
import { defaultContact, hopOf, NO_TRANSPORT, resolveHop, viaFor } from './request-builder.ts';
import { startSending } from './send-request.ts';
import { rememberLocalSdp } from './session-timer.ts';

export function handleAppRequest(
  ctx: UaContext,
  conn: AppConnection,
  msgId: string,
  txnId: string,
  dlgId: string,
  routeUri: string,
  req: SipRequest,
): void {
  if (dlgId) {
    if (req.method === 'ACK') appAck(ctx, conn, msgId, dlgId, req);
    else appInDialog(ctx, conn, msgId, dlgId, req);
    return;
  }
  if (txnId) {
    if (req.method === 'CANCEL') appCancel(ctx, conn, msgId, txnId, req);
    else conn.send(nokFrame(ctx.sid(), msgId, `unexpected transaction id for ${req.method}`));
    return;
  }
  if (req.method === 'ACK' || req.method === 'CANCEL') {
    conn.send(nokFrame(ctx.sid(), msgId, `${req.method} requires a dialog or transaction id`));
    return;
  }
  const dialog = dialogNamedByCallId(ctx, req);
  if (dialog) {
    const uri = req.uri.includes('placeholder') ? dialog.remoteTarget : req.uri;
    sendInDialog(ctx, conn, msgId, dialog, { ...req, uri });
    return;
  }
  appNewRequest(ctx, conn, msgId, routeUri, req);
}

/**
 * As drachtio-server does: a request without a dialog id whose Call-ID is
 * that of an established dialog goes inside that dialog, whichever app owns
 * it (a surviving app ends the calls of one that died this way).
 */
function dialogNamedByCallId(ctx: UaContext, req: SipRequest): Dialog | undefined {
  const callId = getHeader(req, 'call-id')?.trim();
  return callId ? ctx.dialogs.confirmedWithCallId(callId) : undefined;
}

function appNewRequest(
  ctx: UaContext,
  conn: AppConnection,
  msgId: string,
  routeUri: string,
  req: SipRequest,
): void {
  const nok = (reason: string): void => conn.send(nokFrame(ctx.sid(), msgId, reason));
  const method = req.method;
  const uri = parseUri(req.uri);
  if (!uri) {
    nok(`invalid request-uri: ${req.uri}`);
    return;
  }
  const hopUri = routeUri ? parseUri(routeUri) : uri;
  if (!hopUri) {
    nok(`invalid request-uri: ${routeUri}`);
    return;
  }
  const hop = hopOf(hopUri, 'udp');
  if (typeof hop === 'string') {
    nok(hop === NO_TRANSPORT ? hop : `invalid request-uri: ${req.uri}`);
    return;
  }
  const local = ctx.local(hop.protocol);
  if (!local) {
    nok(NO_TRANSPORT);
    return;
  }
  if (ctx.transport.isLocalAddress(hop.host, hop.port)) {
    nok('can not send request to myself');
    return;
  }
  const hostPort = `${local.advertised}:${local.port}`;
  const app = cleanAppHeaders(req.headers, hostPort);
  const take = taker(app);
  let from = take('from');
  if (from === undefined)
    from = `<sip:${hostPort}${hop.protocol === 'tcp' ? ';transport=tcp' : ''}>`;
  let fromTag = getTag(from);
  if (fromTag === undefined) {
    fromTag = ctx.ids.tag();
    from = `${from};tag=${fromTag}`;
  }
  const to = take('to') ?? toFromRequestUri(req.uri);
  const callId = take('call-id') ?? ctx.ids.callId();
  const appCseq = take('cseq');
  const cseq =
    (appCseq !== undefined ? parseCSeq(appCseq)?.seq : undefined) ?? ctx.ids.initialCseq();
  const maxForwards = take('max-forwards') ?? '70';
  let contact = take('contact');
  if (contact === undefined && (method === 'INVITE' || method === 'SUBSCRIBE'))
    contact = defaultContact(ctx, hop.protocol);
  const contentType = takeContentType(take, req.body);
  if (contentType === null) {
    nok('missing content-type');
    return;
  }
  const branch = ctx.ids.branch();
  const headers: SipHeader[] = [
    { name: 'Via', value: viaFor(ctx, hop.protocol, branch) as string },
    { name: 'Max-Forwards', value: maxForwards },
    { name: 'From', value: from },
    { name: 'To', value: to },
    { name: 'Call-ID', value: callId },
    { name: 'CSeq', value: `${cseq} ${method}` },
  ];
  if (contact !== undefined) headers.push({ name: 'Contact', value: contact });
  for (const h of app) headers.push(h);
  if (contentType !== undefined) headers.push({ name: 'Content-Type', value: contentType });
  const out: SipRequest = {
    kind: 'request',
    method,
    uri: req.uri,
    version: 'SIP/2.0',
    headers,
    body: req.body,
  };
  const hopProtocol = hop.protocol;
  const tag = fromTag;
  const fromValue = from;
  // A registered phone's own TCP connection wins over a new one (§7.2).
  const flow =
    hop.protocol === 'tcp' && !routeUri && uri.host
      ? ctx.flows.find(uri.user, uri.host)
      : undefined;
  const sendNewRequest = (resolved: Remote | undefined): void => {
    if (!resolved) {
      nok(`failed to resolve ${hop.host}`);
      return;
    }
    if (conn.closed) return;
    const dest = flow ? { ...resolved, conn: flow } : resolved;
    let dialog: Dialog | undefined;
    if (method === 'INVITE') {
      dialog = new Dialog(dialogId(callId, tag), callId, tag, 'uac', conn, hopProtocol);
      dialog.localAor = stripTag(fromValue);
      dialog.remoteAor = stripTag(to);
      dialog.localCseq = cseq;
      dialog.localContact = contact ?? '';
      dialog.remoteTarget = req.uri;
      // srf's digest retry reuses Call-ID and From tag, hence the dialog id of
      // the challenged INVITE: that one's failure no longer applies.
      ctx.dialogs.forgetFailure(dialog.id);
      ctx.dialogs.add(dialog);
    }
    rememberLocalSdp(dialog, out);
    startSending(ctx, conn, msgId, out, branch, dest, dialog, method === 'INVITE');
  };
  resolveHop(hop, (dest) => {
    try {
      sendNewRequest(dest);
    } catch (err) {
      ctx.log?.error({ err }, 'error sending app request');
      nok('Server error: internal error');
    }
  });
}
