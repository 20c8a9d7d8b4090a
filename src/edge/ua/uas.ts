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
  parseNameAddr,
  parseCSeq,
  type SipHeader,
  type SipResponse,
  serializeSipMessage,
} from '../sip/index.ts';
import type { AppConnection } from '../wire/control.ts';
import { nokFrame, responseEchoFrame } from '../wire/frames.ts';
import { Timer } from '../timers.ts';
import { cleanAppHeaders, findAppHeader, isSdp } from './compose.ts';
import {
  firstContactUri,
  type Incoming,
  METHODS_WITHOUT_RECORD_ROUTE,
  SipCore,
  stopReliable,
} from './core.ts';
import { Dialog } from './dialog.ts';
import { newTag } from './ids.ts';
import { armSessionTimer, rememberLocalSdp } from './session-timer.ts';
import { serverBye } from './uac.ts';

export const UNKNOWN_TXN = 'Response not sent due to unknown transaction';

export function handleAppResponse(
  core: SipCore,
  conn: AppConnection,
  msgId: string,
  txnId: string,
  appRes: SipResponse,
): void {
  const inc = core.incoming.get(txnId);
  if (!inc) {
    conn.send(nokFrame(core.sid(), msgId, UNKNOWN_TXN));
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
    if (inc.localTag === undefined) inc.localTag = appTag ?? newTag();
    if (appTag === undefined) to = `${to};tag=${inc.localTag}`;
  }
  const reliable1xx =
    status > 100 &&
    status < 200 &&
    app.some((h) => h.name === 'Require' && /\b100rel\b/i.test(h.value));
  if (reliable1xx && !supports100rel(req)) {
    conn.send(nokFrame(core.sid(), msgId, 'Remote endpoint does not support 100rel'));
    return;
  }
  const rseq = reliable1xx ? (inc.rel?.rseq ?? Math.floor(Math.random() * 2 ** 30)) + 1 : 0;
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
    core.finishIncoming(inc);
    conn.send(nokFrame(core.sid(), msgId, UNKNOWN_TXN));
    return;
  }
  inc.answered = true;
  inc.guard?.clear();
  inc.guard = undefined;
  if (status >= 200) stopReliable(inc);

  let echoDialogId = '';
  if (method === 'INVITE') {
    const cseq = parseCSeq(cseqText)?.seq ?? parseCSeq(getHeader(req, 'cseq') ?? '')?.seq ?? 0;
    if (inc.initialInvite) {
      if (status > 100 && status < 300 && !inc.dialog) {
        inc.dialog = createUasDialog(
          core,
          inc.req,
          inc.conn,
          inc.localTag as string,
          contact ?? defaultContact,
          inc.inb,
        );
      }
      const d = inc.dialog;
      if (d && reliable1xx) sendReliably(core, inc, d, rseq, bytes);
      rememberLocalSdp(d, res);
      if (d && status >= 200 && status < 300) {
        d.state = 'confirmed';
        armSessionTimer(core, d, res, 'uas');
        d.awaitedAck = { cseq, txn: inc.txn, txnId: inc.txnId };
        inc.txn.user = { onAckTimeout: () => ackTimeout(core, d) };
      } else if (d && status >= 300) {
        core.endDialog(d);
      }
      echoDialogId = d?.id ?? SipCore.uasDialogId(req);
    } else if (inc.dialog) {
      const d = inc.dialog;
      rememberLocalSdp(d, res);
      if (status >= 200 && status < 300) {
        armSessionTimer(core, d, res, 'uas');
        if (contact !== undefined) d.localContact = contact;
        d.awaitedAck = { cseq, txn: inc.txn, txnId: core.ids.next() };
      }
      echoDialogId = d.id;
    }
  } else if (inc.dialog && method !== 'BYE') {
    echoDialogId = inc.dialog.id;
  }
  if (method === 'REGISTER' && status >= 200 && status < 300) rememberFlow(core, inc.req, inc.inb);
  if (status >= 200) core.finishIncoming(inc);
  const text = bytes.toString('utf8');
  conn.send(
    responseEchoFrame(
      core.sid(),
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
  core: SipCore,
  req: import('../sip/index.ts').SipRequest,
  conn: AppConnection,
  localTag: string,
  localContact: string,
  inb: import('../transport/transport.ts').Inbound,
): Dialog {
  const callId = getHeader(req, 'call-id') ?? '';
  const d = new Dialog(SipCore.uasDialogId(req), callId, localTag, 'uas', conn, inb.src.protocol);
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
  d.state = 'early';
  core.dialogs.add(d);
  return d;
}

/** No ACK for our 2xx within 64*T1: BYE on the wire and an unsolicited BYE to the app (§3.4). */
function ackTimeout(core: SipCore, d: Dialog): void {
  if (d.state === 'terminated') return;
  d.awaitedAck = undefined;
  serverBye(core, d, 'ACK timeout');
}

/** A From/To value without its tag parameter. */
export function stripTag(value: string): string {
  const gt = value.lastIndexOf('>');
  const head = gt >= 0 ? value.slice(0, gt + 1) : '';
  const tail = gt >= 0 ? value.slice(gt + 1) : value;
  return head + tail.replace(/;\s*tag\s*=\s*[^;]*/i, '');
}

function supports100rel(req: import('../sip/index.ts').SipRequest): boolean {
  const tags = [...getHeaders(req, 'supported'), ...getHeaders(req, 'require')];
  return tags.some((t) => t.trim().toLowerCase() === '100rel');
}

/**
 * RFC 3262 §3: retransmit the reliable provisional (T1 doubling, UDP only)
 * until the PRACK with its RSeq arrives; after 64*T1 without one, reject the
 * INVITE with a 5xx and keep running (the real server crashes here, §7.4).
 */
function sendReliably(core: SipCore, inc: Incoming, d: Dialog, rseq: number, bytes: Buffer): void {
  stopReliable(inc);
  const udp = inc.inb.src.protocol === 'udp';
  const rel: NonNullable<Incoming['rel']> = {
    rseq,
    bytes,
    interval: core.timers.t1,
    resend: undefined,
    giveUp: new Timer(core.counters, core.timers.t64, () => {
      rel.resend?.clear();
      inc.rel = undefined;
      core.respondLocally(inc, 504, 'Server Time-out');
    }),
  };
  const resend = (): void => {
    rel.resend = undefined;
    if (inc.rel !== rel) return;
    core.layer.resend(inc.inb.src, rel.bytes);
    rel.interval *= 2;
    rel.resend = new Timer(core.counters, rel.interval, resend);
  };
  if (udp) rel.resend = new Timer(core.counters, rel.interval, resend);
  inc.rel = rel;
  d.onPrack = (rack) => {
    if (inc.rel === rel && Number.parseInt(rack.trim(), 10) === rseq) stopReliable(inc);
  };
}

/** After a 2xx to a REGISTER over TCP: remember (or forget, for expires 0) the contact's connection. */
function rememberFlow(
  core: SipCore,
  req: import('../sip/index.ts').SipRequest,
  inb: import('../transport/transport.ts').Inbound,
): void {
  const conn = inb.src.conn;
  if (!conn) return;
  const expiresHeader = getHeader(req, 'expires');
  for (const c of getHeaders(req, 'contact')) {
    const na = parseNameAddr(c);
    if (!na?.parsedUri.host) continue;
    const key = flowKey(na.parsedUri.user, na.parsedUri.host);
    const expires = na.params.expires ?? expiresHeader;
    if (expires !== undefined && expires !== null && Number(expires) === 0) {
      if (core.registeredFlows.get(key) === conn) core.registeredFlows.delete(key);
    } else {
      core.registeredFlows.set(key, conn);
    }
  }
}

export function flowKey(user: string | undefined, host: string): string {
  return `${user ?? ''}@${host.toLowerCase()}`;
}
