/**
 * Session timers (RFC 4028), the "we refresh" half (drachtio-wire.md §7.11):
 * when a 2xx to an INVITE names us the refresher, the server re-INVITEs the
 * peer by itself at half the interval with the last local SDP, ACKs the 2xx
 * itself and tells the app nothing. 491 → retry at the next half interval;
 * any other failure → BYE "Session timer expired" + unsolicited BYE to the app.
 * (Watching a peer that is the refresher is not implemented: see docs/edge.md.)
 */
import { getHeader, type SipRequest, type SipResponse, serializeSipMessage } from '../sip/index.ts';
import type { UaContext } from './context.ts';
import type { Dialog } from './dialog.ts';
import { dialogRequest } from './request-builder.ts';
import { serverBye } from './server-bye.ts';

const MIN_SE = 90;

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
 * Called after a 2xx to an INVITE of dialog `d` went out (we are `uas`) or
 * came in (we are `uac`). Arms or re-arms our refresh when we are the refresher.
 */
export function armSessionTimer(
  ctx: UaContext,
  d: Dialog,
  res: SipResponse,
  role: 'uac' | 'uas',
): void {
  const se = parseSessionExpires(getHeader(res, 'session-expires'));
  // A 2xx without Session-Expires (e.g. srf's answer to a peer re-INVITE) changes nothing.
  if (!se) return;
  d.sessionTimer?.clear();
  d.sessionTimer = undefined;
  // Without a refresher parameter in a 2xx we received, the UAC refreshes (§7.11).
  const refresher = se.refresher ?? (role === 'uac' ? 'uac' : undefined);
  if (refresher !== role) return;
  const secs = Math.max(MIN_SE, se.secs);
  d.sessionSecs = secs;
  scheduleRefresh(ctx, d, secs);
}

function scheduleRefresh(ctx: UaContext, d: Dialog, secs: number): void {
  d.sessionTimer?.clear();
  d.sessionTimer = ctx.timers.start((secs * 1000) / 2, () => {
    d.sessionTimer = undefined;
    refresh(ctx, d, secs);
  });
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
        serverBye(ctx, d, 'Session timer expired');
      }
    },
  });
}

/** Remembers the last SDP we offered or answered in a dialog (for refreshes). */
export function rememberLocalSdp(d: Dialog | undefined, msg: SipRequest | SipResponse): void {
  if (!d || msg.body.length === 0) return;
  if (msg.body[0] === 0x76 && msg.body[1] === 0x3d) d.localSdp = msg.body;
}
