/**
 * CANCEL of an INVITE we sent (RFC 3261 §9.1, drachtio-wire.md §7.7): on the
 * app's request or on Timer C. It goes out once a provisional has arrived
 * and is held until then; its responses are never relayed to the app.
 */
import {
  getHeader,
  getHeaders,
  parseCSeq,
  type SipHeader,
  type SipRequest,
  serializeSipMessage,
} from '../sip/index.ts';
import type { AppConnection } from '../wire/control.ts';
import { nokFrame, requestEchoFrame } from '../wire/frames.ts';
import { CANCEL_SENT, type SentRequest } from './client-requests.ts';
import { cleanAppHeaders, taker } from './compose.ts';
import type { UaContext } from './context.ts';

/** Headers of the app's CANCEL that the server writes itself. */
const OWN_CANCEL_HEADERS = [
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'contact',
  'p-asserted-identity',
  'content-type',
];

/** The app cancels the INVITE of wire transaction `txnId`. */
export function appCancel(
  ctx: UaContext,
  conn: AppConnection,
  msgId: string,
  txnId: string,
  appReq: SipRequest,
): void {
  const s = ctx.sent.get(txnId);
  const state = s?.txn?.state;
  if (
    s?.method !== 'INVITE' ||
    !s.req ||
    (state !== 'calling' && state !== 'proceeding') ||
    s.cancelled
  ) {
    conn.send(nokFrame(ctx.sid(), msgId, `unable to cancel unknown transaction id: ${txnId}`));
    return;
  }
  const app = cleanAppHeaders(appReq.headers, '127.0.0.1');
  const take = taker(app);
  for (const k of OWN_CANCEL_HEADERS) take(k);
  const { req, bytes, held } = sendCancel(ctx, s, app);
  conn.send(
    requestEchoFrame(
      ctx.sid(),
      msgId,
      {
        bytes: held ? 0 : bytes.length,
        protocol: s.dest.protocol,
        address: s.dest.address,
        port: s.dest.port,
      },
      ctx.nextTxnId(),
      serializeSipMessage(req).toString('utf8'),
    ),
  );
}

/** CANCEL per §9.1, sent now if a provisional arrived, else held until one does (§7.7). */
export function sendCancel(
  ctx: UaContext,
  s: SentRequest,
  app: SipHeader[],
): { req: SipRequest; bytes: Buffer; held: boolean } {
  const inv = s.req;
  // Callers check first: the request is let go at the final response, when a CANCEL no longer applies.
  if (!inv) throw new Error(`CANCEL for ${s.txnId} after its final response`);
  const headers: SipHeader[] = [
    { name: 'Via', value: getHeaders(inv, 'via')[0] ?? '' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: getHeader(inv, 'from') ?? '' },
    { name: 'To', value: getHeader(inv, 'to') ?? '' },
    { name: 'Call-ID', value: getHeader(inv, 'call-id') ?? '' },
    { name: 'CSeq', value: `${parseCSeq(getHeader(inv, 'cseq') ?? '')?.seq ?? 1} CANCEL` },
  ];
  for (const r of getHeaders(inv, 'route')) headers.push({ name: 'Route', value: r });
  for (const h of app) headers.push(h);
  const req: SipRequest = {
    kind: 'request',
    method: 'CANCEL',
    uri: inv.uri,
    version: 'SIP/2.0',
    headers,
    body: Buffer.alloc(0),
  };
  const bytes = serializeSipMessage(req);
  const held = !s.txn?.provisional;
  if (held) {
    s.cancel = { state: 'held', req, bytes };
  } else {
    s.cancel = CANCEL_SENT;
    startCancelTxn(ctx, s, req, bytes);
  }
  ctx.sent.guardCancel(s);
  return { req, bytes, held };
}

/** Sends a CANCEL through a client transaction of its own, on the INVITE's branch. */
export function startCancelTxn(
  ctx: UaContext,
  s: SentRequest,
  req: SipRequest,
  bytes: Buffer,
): void {
  const branch = s.txn?.branch ?? ctx.ids.branch();
  // Responses to CANCEL are never relayed to the app (§7.7).
  ctx.layer.startClient(req, bytes, branch, s.dest, { onResponse: () => undefined });
}
