/**
 * Session timers (RFC 4028, drachtio-wire.md §7.11). When a 2xx to an INVITE
 * names us the refresher, the server re-INVITEs the peer by itself at half the
 * interval with the last local SDP, ACKs the 2xx itself and tells the app
 * nothing; 491 → retry at the next half interval; any other failure → BYE
 * "Session timer expired" + unsolicited BYE to the app. When it names the
 * peer, the server watches: a re-INVITE or UPDATE from the peer re-arms the
 * watch, and with no refresh before the session expires (less the margin of
 * RFC 4028 §10) the server sends the same BYE, so a peer that vanished
 * without a BYE cannot hold the call up.
 */
import {
  getHeader,
  type SipHeader,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
} from '../sip/index.ts';
import type { UaContext } from './context.ts';
import { type Dialog, stopSessionTimer } from './dialog.ts';
import { dialogRequest } from './request-builder.ts';
import { serverBye } from './server-bye.ts';

const MIN_SE = 90;
const EXPIRED = 'Session timer expired';

/** Interval in seconds and refresher role named by a Session-Expires value. */
function parseSessionExpires(
  value: string | undefined,
): { secs: number; refresher?: string } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(.*)$/.exec(value);
  if (!m) return undefined;
  const secs = Number(m[1]);
  const r = /;\s*refresher\s*=\s*(uac|uas)/i.exec(m[2] ?? '');
  return r?.[1] ? { secs, refresher: r[1].toLowerCase() } : { secs };
}

/**
 * The Session-Expires the server adds to the app's 2xx to an initial INVITE
 * when the app set none and the INVITE asked for a timer with a refresher
 * (without one, drachtio-server's default is no timer).
 */
export function sessionExpiresForAnswer(
  req: SipRequest,
  appHeaders: readonly SipHeader[],
): SipHeader | undefined {
  if (appHeaders.some((h) => h.name.toLowerCase() === 'session-expires')) return undefined;
  const asked = parseSessionExpires(getHeader(req, 'session-expires'));
  if (!asked?.refresher) return undefined;
  return {
    name: 'Session-Expires',
    value: `${Math.max(MIN_SE, asked.secs)};refresher=${asked.refresher}`,
  };
}

/**
 * Called after a 2xx to an INVITE of dialog `d` went out (we are `uas`) or
 * came in (we are `uac`). Arms our refresh when we are the refresher, our
 * watch when the peer is. `req` is the request answered (a peer's refresh
 * re-INVITE re-arms the watch even when the 2xx names no interval).
 */
export function armSessionTimer(
  ctx: UaContext,
  d: Dialog,
  res: SipResponse,
  role: 'uac' | 'uas',
  req?: SipRequest,
): void {
  const se = parseSessionExpires(getHeader(res, 'session-expires'));
  if (!se) {
    // A 2xx without Session-Expires (e.g. srf's answer to a peer re-INVITE):
    // a refresh of a session we watch, otherwise nothing changes.
    if (req) peerRefreshed(ctx, d, req);
    return;
  }
  // The refresher parameter `uac` or absent means the UAC refreshes (§7.11).
  const refresher = se.refresher ?? 'uac';
  const secs = Math.max(MIN_SE, se.secs);
  if (refresher === role) scheduleRefresh(ctx, d, secs);
  else watchPeer(ctx, d, secs);
}

/** An UPDATE or re-INVITE from the peer was answered 2xx: the session was refreshed. */
export function peerRefreshed(ctx: UaContext, d: Dialog, req: SipRequest): void {
  if (d.session.kind !== 'watching') return;
  if (req.method !== 'INVITE' && req.method !== 'UPDATE') return;
  const se = parseSessionExpires(getHeader(req, 'session-expires'));
  watchPeer(ctx, d, Math.max(MIN_SE, se?.secs ?? d.session.secs));
}

function watchPeer(ctx: UaContext, d: Dialog, secs: number): void {
  stopSessionTimer(d);
  // RFC 4028 §10: the BYE goes out before expiry, by min(32 s, a third of the interval).
  const ms = (secs - Math.min(32, secs / 3)) * 1000;
  const timer = ctx.timers.start(ms, () => {
    d.session = { kind: 'off' };
    serverBye(ctx, d, EXPIRED);
  });
  d.session = { kind: 'watching', secs, timer };
}

function scheduleRefresh(ctx: UaContext, d: Dialog, secs: number): void {
  stopSessionTimer(d);
  const timer = ctx.timers.start((secs * 1000) / 2, () => {
    d.session = { kind: 'off' };
    refresh(ctx, d, secs);
  });
  d.session = { kind: 'refreshing', secs, timer };
}

function refresh(ctx: UaContext, d: Dialog, secs: number): void {
  if (d.state !== 'confirmed') return;
  const headers = [
    { name: 'Contact', value: d.localContact },
    { name: 'Session-Expires', value: `${secs};refresher=uac` },
    { name: 'Min-SE', value: String(MIN_SE) },
    { name: 'Supported', value: 'timer' },
  ];
  const body = d.localSdp ?? Buffer.alloc(0);
  if (body.length > 0) headers.push({ name: 'Content-Type', value: 'application/sdp' });
  const cseq = ++d.localCseq;
  const built = dialogRequest(ctx, d, 'INVITE', d.remoteTarget, headers, body, cseq);
  if (typeof built === 'string') return;
  let ack: Buffer | undefined;
  ctx.layer.startClient(built.req, serializeSipMessage(built.req), built.branch, built.dest, {
    onResponse: (_txn, res, _inb, retransmission) => {
      if (d.state !== 'confirmed') return;
      if (retransmission) {
        if (ack) ctx.transport.send(built.dest, ack, 'ACK');
        return;
      }
      if (res.status < 200) return;
      if (res.status < 300) {
        const ackReq = dialogRequest(ctx, d, 'ACK', d.remoteTarget, [], Buffer.alloc(0), cseq);
        if (typeof ackReq !== 'string') {
          ack = serializeSipMessage(ackReq.req);
          ctx.transport.send(ackReq.dest, ack, 'ACK');
        }
        const se = parseSessionExpires(getHeader(res, 'session-expires'));
        scheduleRefresh(ctx, d, Math.max(MIN_SE, se?.secs ?? secs));
      } else if (res.status === 491) {
        scheduleRefresh(ctx, d, secs);
      } else {
        serverBye(ctx, d, EXPIRED);
      }
    },
  });
}

/** Remembers the last SDP we offered or answered in a dialog (for refreshes). */
export function rememberLocalSdp(d: Dialog | undefined, msg: SipRequest | SipResponse): void {
  if (!d || msg.body.length === 0) return;
  if (msg.body[0] === 0x76 && msg.body[1] === 0x3d) d.localSdp = msg.body;
}
