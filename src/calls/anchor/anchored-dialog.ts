/**
 * A leg whose media ends in a media-server endpoint: the agent's dialog
 * towards B, or the caller's towards A once the two are bridged.
 *
 * - The endpoint is released when the dialog ends, whichever side ended it,
 *   exactly once (the release is the endpoint owner's and idempotent).
 * - The media server ending the endpoint ends the dialog (our BYE), so the
 *   bridge hears it and hangs up the other side as for any BYE.
 * - A re-INVITE from the peer (hold, codec change) is answered by the media
 *   server (`modify` on the endpoint): the other side never hears of it, its
 *   media goes to its own endpoint. For the same reason `modify` on this
 *   dialog is refused: nothing is passed across an anchor.
 *
 * `anchoredEndpointOf(dialog)` tells the session that an agent leg is
 * anchored and which endpoint the caller's endpoint must be bridged with.
 */
import { sipStatusOf } from '../sip/sip-failure.ts';
import type { CallDialog, ModifyReply } from '../sip/sip.ts';

export interface DialogMedia {
  /** The endpoint's id in the media server (for `uuid_bridge`). */
  readonly uuid: string;
  /** Gives the peer's new offer to the endpoint; resolves with the media server's answer. */
  renegotiate(offer: string): Promise<string>;
  /** Releases the endpoint (idempotent). */
  release(): void;
}

const anchored = new WeakMap<CallDialog, DialogMedia>();

/** The endpoint an anchored dialog's media ends in; null for a plain signalling leg. */
export function anchoredEndpointOf(dialog: CallDialog): DialogMedia | null {
  return anchored.get(dialog) ?? null;
}

export function anchoredDialog(inner: CallDialog, media: DialogMedia): CallDialog {
  let listener: ((by: 'remote' | 'local', reason: string) => void) | null = null;
  let endInfo: { by: 'remote' | 'local'; reason: string } | null = null;

  inner.onEnded((by, reason) => {
    endInfo = { by, reason };
    media.release();
    listener?.(by, reason);
  });
  inner.onModify((offer: string, reply: ModifyReply) => {
    media.renegotiate(offer).then(
      (answer) => reply.accept(answer),
      (err: unknown) => reply.reject(sipStatusOf(err) ?? 488),
    );
  });

  const dialog: CallDialog = {
    id: inner.id,
    sipCallId: inner.sipCallId,
    get remoteSdp() {
      return inner.remoteSdp;
    },
    get ended() {
      return inner.ended;
    },
    onEnded(cb) {
      listener = cb;
      // Ended before this listener came (the agent hung up while the caller was being bridged).
      const info = endInfo;
      if (info) queueMicrotask(() => cb(info.by, info.reason));
    },
    // The peer's re-INVITEs stay with the media server (above).
    onModify() {},
    modify() {
      return Promise.reject(
        Object.assign(new Error('an anchored leg takes no offer from the other side'), {
          status: 488,
        }),
      );
    },
    end(reason) {
      const bye = inner.end(reason);
      // The inner dialog reports our own end through onEnded too; releasing twice is harmless.
      media.release();
      return bye;
    },
  };
  const { refer, onInfo } = inner;
  if (refer) dialog.refer = (target) => refer.call(inner, target);
  if (onInfo) dialog.onInfo = (cb) => onInfo.call(inner, cb);
  anchored.set(dialog, media);
  return dialog;
}
