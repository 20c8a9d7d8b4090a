/**
 * The only place call control touches drachtio-srf objects. It turns srf's
 * request/response/dialog objects into the interfaces of `sip.ts`:
 *
 * - `srfUac(srf)`: `createUAC` with `cbRequest` (kept for CANCEL) and
 *   `cbProvisional`, one promise per INVITE.
 * - `inboundCall(srf, req, res)`: the caller's INVITE; `answer` is
 *   `createUAS(req, res, { localSdp })`.
 * - `wrapDialog(dialog)`: one `end` for both endings. srf emits `destroy` only
 *   for a BYE from the network; our own `destroy()` emits nothing (style §4),
 *   so both go through `finish()` here, exactly once.
 *
 * srf's bundled typings lag its code (Dialog.destroy returns a Promise, no
 * `proxy` option on createUAC), so the shapes used are declared here and the
 * real objects are checked against them at run time (`asSrf`).
 */
import { answerSessionTimer } from '../sip/session-timer.ts';
import type { CallDialog, InboundCall, ModifyReply, SipUac } from '../sip/sip.ts';

interface SrfMessage {
  get(name: string): string | undefined;
  has(name: string): boolean;
  readonly body?: string;
}

export interface SrfInviteRequest extends SrfMessage {
  readonly uri: string;
  readonly body: string;
  readonly source_address: string;
  readonly source_port: number | string;
  on(event: 'cancel', cb: () => void): unknown;
}

export interface SrfInviteResponse {
  send(
    status: number,
    reason?: string,
    opts?: { headers?: Record<string, string>; body?: string },
  ): unknown;
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): unknown;
}

export interface SrfSentRequest {
  cancel(opts?: { headers?: Record<string, string> }, cb?: (err: unknown) => void): void;
}

export interface SrfDialog {
  readonly id: string;
  readonly sip: { callId: string };
  readonly remote: { sdp: string };
  readonly local: { sdp: string; contact?: string };
  readonly connected?: boolean;
  on(event: 'destroy', cb: (req: unknown, reason?: string) => void): unknown;
  on(
    event: 'modify',
    cb: (req: SrfMessage & { body: string }, res: SrfInviteResponse) => void,
  ): unknown;
  on(event: 'info', cb: (req: SrfMessage, res: SrfInviteResponse) => void): unknown;
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  modify(sdp: string): Promise<unknown>;
  request(opts: { method: string; headers?: Record<string, string> }): Promise<{ status: number }>;
}

export interface SrfLike {
  createUAC(
    uri: string,
    opts: { localSdp: string; headers: Record<string, string>; proxy?: string },
    progress: {
      cbRequest: (err: unknown, req: SrfSentRequest) => void;
      cbProvisional: (res: { status: number }) => void;
    },
  ): Promise<SrfDialog>;
  createUAS(
    req: SrfInviteRequest,
    res: SrfInviteResponse,
    opts: { localSdp: string; headers?: Record<string, string> },
  ): Promise<SrfDialog>;
}

/** Checks that `srf` has the methods used here (a real Srf instance does). */
export function asSrf(srf: unknown): SrfLike {
  const o = srf as { createUAC?: unknown; createUAS?: unknown } | null;
  if (!o || typeof o.createUAC !== 'function' || typeof o.createUAS !== 'function') {
    throw new TypeError('expected a drachtio-srf instance');
  }
  return o as unknown as SrfLike;
}

export function srfUac(srf: SrfLike): SipUac {
  return {
    invite(request, progress) {
      return srf
        .createUAC(
          request.uri,
          {
            localSdp: request.localSdp,
            headers: { ...request.headers },
            ...(request.proxy ? { proxy: request.proxy } : {}),
          },
          {
            cbRequest: (err, req) => {
              if (err || !req) return;
              progress.onRequest({
                cancel: () =>
                  req.cancel({}, () => {
                    // The CANCEL's own outcome does not matter: the INVITE's final response does.
                  }),
              });
            },
            cbProvisional: (res) => progress.onProvisional(res.status),
          },
        )
        .then(wrapDialog);
    },
  };
}

function wrapDialog(dialog: SrfDialog): CallDialog {
  let ended = false;
  let endInfo: { by: 'remote' | 'local'; reason: string } | null = null;
  let onEnded: ((by: 'remote' | 'local', reason: string) => void) | null = null;
  let onModify: ((offer: string, reply: ModifyReply) => void) | null = null;
  let onInfo: ((contentType: string | undefined, body: string) => void) | null = null;
  let bye: Promise<void> | null = null;

  const finish = (by: 'remote' | 'local', reason: string) => {
    if (ended) return;
    ended = true;
    endInfo = { by, reason };
    onEnded?.(by, reason);
  };

  dialog.on('destroy', (_req, reason) => finish('remote', reason ?? 'BYE'));
  dialog.on('modify', (req, res) => {
    if (!onModify || ended) {
      res.send(488, 'Not Acceptable Here');
      return;
    }
    let replied = false;
    onModify(req.body, {
      accept(answer) {
        if (replied) return;
        replied = true;
        dialog.local.sdp = answer;
        const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
        if (dialog.local.contact) headers.Contact = dialog.local.contact;
        res.send(200, { body: answer, headers });
      },
      reject(status, reason) {
        if (replied) return;
        replied = true;
        res.send(status, reason);
      },
    });
  });

  dialog.on('info', (req, res) => {
    res.send(200);
    onInfo?.(req.get('Content-Type'), req.body ?? '');
  });

  return {
    id: dialog.id,
    sipCallId: dialog.sip.callId,
    get remoteSdp() {
      return dialog.remote.sdp;
    },
    get ended() {
      return ended;
    },
    onEnded(cb) {
      onEnded = cb;
      // Ended before anybody listened (agent hung up while the caller was being answered).
      const info = endInfo;
      if (info) queueMicrotask(() => cb(info.by, info.reason));
    },
    onModify(cb) {
      onModify = cb;
    },
    onInfo(cb) {
      onInfo = cb;
    },
    async refer(target) {
      const res = await dialog.request({
        method: 'REFER',
        headers: {
          'Refer-To': `<${target}>`,
          ...(dialog.local.contact ? { 'Referred-By': dialog.local.contact } : {}),
        },
      });
      if (res.status < 200 || res.status >= 300) {
        throw Object.assign(new Error(`REFER answered ${res.status}`), { status: res.status });
      }
    },
    async modify(offer) {
      const answer = await dialog.modify(offer);
      return typeof answer === 'string' ? answer : dialog.remote.sdp;
    },
    end(reason) {
      if (bye) return bye;
      if (ended) {
        bye = Promise.resolve();
        return bye;
      }
      finish('local', reason);
      // A peer BYE crossing ours makes srf reject (ENODIALOG): the dialog is gone either way.
      bye = dialog.destroy().then(
        () => undefined,
        () => undefined,
      );
      return bye;
    },
  };
}

/** The caller's INVITE. Listens for CANCEL at once, so one arriving before `onCancel` is not lost. */
function inboundCall(srf: SrfLike, req: SrfInviteRequest, res: SrfInviteResponse): InboundCall {
  let cancelled = false;
  let onCancel: (() => void) | null = null;
  req.on('cancel', () => {
    if (cancelled) return;
    cancelled = true;
    onCancel?.();
  });
  return {
    uri: req.uri,
    callId: req.get('Call-ID') ?? '',
    sdp: req.body ?? '',
    sourceAddress: req.source_address,
    sourcePort: Number(req.source_port),
    header: (name) => req.get(name),
    onCancel(cb) {
      onCancel = cb;
      if (cancelled) queueMicrotask(cb);
    },
    progress(status, reason) {
      if (!cancelled) res.send(status, reason);
    },
    reject(status, reason, headers) {
      // After a CANCEL the SIP server has already sent 487; srf's send would only get NOK.
      if (!cancelled) res.send(status, reason, headers ? { headers } : {});
    },
    async answer(localSdp) {
      try {
        const timer = answerSessionTimer((name) => req.get(name));
        return wrapDialog(
          await srf.createUAS(req, res, { localSdp, ...(timer ? { headers: timer } : {}) }),
        );
      } catch (err) {
        if (cancelled) throw Object.assign(new Error('caller cancelled'), { status: 487 });
        throw err;
      }
    },
  };
}

/** What `attachToSrf` needs from call control (CallControl satisfies it). */
export interface InviteHandlerTarget {
  handleInvite(call: InboundCall): Promise<void>;
  connectionLost(): void;
}

export interface SrfEvents extends SrfLike {
  invite(handler: (req: SrfInviteRequest, res: SrfInviteResponse) => void): unknown;
  on(event: 'close', cb: () => void): unknown;
}

/** Checks that `srf` also has `invite` and `on` (a real Srf instance does). */
export function asSrfEvents(srf: unknown): SrfEvents {
  const o = asSrf(srf) as unknown as { invite?: unknown; on?: unknown };
  if (typeof o.invite !== 'function' || typeof o.on !== 'function') {
    throw new TypeError('expected a drachtio-srf instance');
  }
  return o as unknown as SrfEvents;
}

/**
 * Routes srf's INVITEs to call control and tells it when the connection to
 * the SIP server closes (srf emits `close`; it then reconnects by itself, and
 * new calls work again once it has).
 */
export function attachToSrf(srf: SrfEvents, target: InviteHandlerTarget): void {
  srf.invite((req, res) => {
    void target.handleInvite(inboundCall(srf, req, res));
  });
  srf.on('close', () => target.connectionLost());
}
