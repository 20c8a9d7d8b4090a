/**
 * Building blocks for the §11 checklist tests: a raw wire-protocol app
 * (WireClient) and a raw UDP peer exchanging the flows of drachtio-wire §8,
 * so that each test can look at exact frames and exact SIP on the wire.
 */
import type { SipTarget } from '../../../support/sip-target.ts';
import {
  PEER_SDP,
  type Received,
  type UdpPeer,
  buildAck,
  buildRequest,
  buildResponse,
  rand,
} from './peer.ts';
import { type OracleMessage, oracleParse, tagOf } from './srf.ts';
import { type Frame, type WireClient, appResponse, headerValue } from './wire.ts';

export const server = (t: SipTarget) => ({ host: t.sipHost, port: t.sipPort });
export const serverUri = (t: SipTarget, user = 'app') => `sip:${user}@${t.sipHost}:${t.sipPort}`;

export function startLine(text: string): string {
  return text.split('\r\n')[0] ?? '';
}

export function isResponse(m: Received, status: number, method?: string): boolean {
  if (!m.text.startsWith(`SIP/2.0 ${status} `)) return false;
  return method ? new RegExp(`^cseq\\s*:\\s*\\d+\\s+${method}\\b`, 'im').test(m.text) : true;
}

export function isRequest(m: Received, method: string): boolean {
  return m.text.startsWith(`${method} `);
}

/** srf's parse of a frame's SIP text (the oracle): throws when srf could not read it. */
export function oracle(f: Frame): OracleMessage {
  return oracleParse(f.sip);
}

/** Incoming `sip` frame for a request of `method` with this Call-ID. */
export function requestFrame(
  wire: WireClient,
  method: string,
  callId: string,
  timeoutMs = 5000,
  since = 0,
): Promise<Frame> {
  return wire.next(
    (f) =>
      f.type === 'sip' &&
      f.sip.startsWith(`${method} `) &&
      headerValue(f.sip, 'Call-ID') === callId,
    timeoutMs,
    since,
  );
}

/** Incoming `sip` frame relaying a response with this status for this Call-ID. */
export function responseFrame(
  wire: WireClient,
  status: number,
  callId: string,
  timeoutMs = 5000,
  since = 0,
): Promise<Frame> {
  return wire.next(
    (f) =>
      f.type === 'sip' &&
      f.sip.startsWith(`SIP/2.0 ${status} `) &&
      headerValue(f.sip, 'Call-ID') === callId,
    timeoutMs,
    since,
  );
}

/** The app answers an incoming request frame the way srf does (copied Call-ID/CSeq/From/To). */
export function appAnswer(
  wire: WireClient,
  request: Frame,
  status: number,
  reason: string,
  opts: { headers?: string[]; body?: string } = {},
): Promise<Frame> {
  return wire.call(
    ['sip', request.tokens[8] ?? '', ''],
    appResponse(request.sip, status, reason, opts.headers, opts.body),
  );
}

/** The app sends a request (out of dialog unless dialogId; routeUri = srf's `proxy`). */
export function appRequest(
  wire: WireClient,
  sip: string,
  opts: { dialogId?: string; txnId?: string; routeUri?: string } = {},
): Promise<Frame> {
  const tokens = ['sip', opts.txnId ?? '', opts.dialogId ?? ''];
  if (opts.routeUri) tokens.push(opts.routeUri);
  return wire.call(tokens, sip);
}

/** A request as srf writes it (lower-case names, SDP without Content-Type). */
export function srfRequest(method: string, uri: string, headers: string[] = [], body = ''): string {
  return [`${method} ${uri} SIP/2.0`, ...headers, `Content-Length: ${body.length}`, '', body].join(
    '\r\n',
  );
}

export const APP_SDP = [
  'v=0',
  'o=app 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 42000 RTP/AVP 0',
  '',
].join('\r\n');

export interface PeerCall {
  callId: string;
  fromTag: string;
  invite: string;
  cseq: number;
}

/** The peer sends a new INVITE to the server. */
export function peerInvite(
  peer: UdpPeer,
  t: SipTarget,
  opts: { headers?: string[]; body?: string; callId?: string; user?: string; branch?: string } = {},
): PeerCall {
  const callId = opts.callId ?? `c-${rand(12)}`;
  const fromTag = `pt${rand(8)}`;
  const invite = buildRequest({
    method: 'INVITE',
    uri: serverUri(t, opts.user),
    from: { port: peer.port, tag: fromTag },
    to: { uri: serverUri(t, opts.user) },
    callId,
    cseq: 1,
    branch: opts.branch,
    headers: opts.headers,
    body: opts.body ?? PEER_SDP,
  });
  peer.send(invite, server(t));
  return { callId, fromTag, invite, cseq: 1 };
}

export interface UasDialog extends PeerCall {
  inviteFrame: Frame;
  echo: Frame;
  ok: Received;
  dialogId: string;
  localTag: string;
  /** Next CSeq the peer uses inside the dialog. */
  nextCseq: number;
}

/** Peer calls, the wire app answers 200 with SDP, the peer ACKs: an established UAS dialog. */
export async function establishUas(
  wire: WireClient,
  peer: UdpPeer,
  t: SipTarget,
): Promise<UasDialog> {
  const call = peerInvite(peer, t);
  const inviteFrame = await requestFrame(wire, 'INVITE', call.callId);
  const echo = await appAnswer(wire, inviteFrame, 200, 'OK', { body: APP_SDP });
  const ok = await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId));
  const localTag = tagOf(headerValue(ok.text, 'To')) ?? '';
  peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
  await requestFrame(wire, 'ACK', call.callId);
  return { ...call, inviteFrame, echo, ok, dialogId: echo.tokens[11] ?? '', localTag, nextCseq: 2 };
}

/** The peer sends an in-dialog request of a UAS dialog (peer = caller). */
export function peerInDialog(
  peer: UdpPeer,
  t: SipTarget,
  d: UasDialog,
  method: string,
  opts: { headers?: string[]; body?: string; contentType?: string } = {},
): string {
  const text = buildRequest({
    method,
    uri: serverUri(t),
    from: { port: peer.port, tag: d.fromTag },
    to: { uri: serverUri(t), tag: d.localTag },
    callId: d.callId,
    cseq: d.nextCseq++,
    headers: opts.headers,
    body: opts.body,
    contentType: opts.contentType,
  });
  peer.send(text, server(t));
  return text;
}

export interface UacCall {
  echo: Frame;
  txnId: string;
  invite: Received;
  callId: string;
  localTag: string;
  dialogId: string;
}

/** The wire app sends an INVITE to the peer; resolves when the peer has it. */
export async function appInvite(
  wire: WireClient,
  peer: UdpPeer,
  headers: string[] = [],
  body = APP_SDP,
  user = 'peer',
): Promise<UacCall> {
  const since = peer.received.length;
  const echo = await appRequest(
    wire,
    srfRequest('INVITE', `sip:${user}@127.0.0.1:${peer.port}`, headers, body),
  );
  if (echo.tokens[3] !== 'OK') throw new Error(`INVITE refused: ${echo.payload}`);
  const callId = headerValue(echo.sip, 'Call-ID') ?? '';
  const invite = await peer.next(
    (m) => isRequest(m, 'INVITE') && m.text.includes(callId),
    5000,
    since,
  );
  const localTag = tagOf(headerValue(echo.sip, 'From')) ?? '';
  return {
    echo,
    txnId: echo.tokens[10] ?? '',
    invite,
    callId,
    localTag,
    dialogId: `${callId};from-tag=${localTag}`,
  };
}

/** The peer answers the app's INVITE. */
export function peerRespond(
  peer: UdpPeer,
  to: { host: string; port: number },
  request: string,
  status: number,
  reason: string,
  opts: { toTag?: string; headers?: string[]; body?: string } = {},
): string {
  const text = buildResponse(request, status, reason, {
    toTag: opts.toTag ?? 'calleetag',
    headers: opts.headers,
    body: opts.body,
  });
  peer.send(text, to);
  return text;
}

export interface UacDialog extends UacCall {
  okFrame: Frame;
  remoteTag: string;
}

/** App INVITE → peer 200 (Contact = the peer) → app ACK: an established UAC dialog. */
export async function establishUac(
  wire: WireClient,
  peer: UdpPeer,
  t: SipTarget,
): Promise<UacDialog> {
  const call = await appInvite(wire, peer);
  const remoteTag = `ct${rand(6)}`;
  peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
    toTag: remoteTag,
    headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
    body: PEER_SDP,
  });
  const okFrame = await responseFrame(wire, 200, call.callId);
  const since = peer.received.length;
  await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
    dialogId: call.dialogId,
  });
  await peer.next((m) => isRequest(m, 'ACK'), 5000, since);
  return { ...call, okFrame, remoteTag };
}

/** Waits `ms` and returns what arrived meanwhile. */
export async function quiet<T>(list: T[], ms: number): Promise<T[]> {
  const start = list.length;
  await new Promise((r) => setTimeout(r, ms));
  return list.slice(start);
}
