/**
 * Agent legs that another instance can end after this one dies.
 *
 * With several instances on one database, the leader writes each agent leg's
 * SIP Call-ID to a journal before its INVITE leaves, and deletes it when the
 * leg ends. If the leader is killed, the legs it had up stay up at the SIP
 * server; the instance that takes over reads the journal and ends each one
 * (`orphan-legs.ts`), so no agent is offered a call while a lost one still
 * holds the line. Writing first costs one database round trip per leg; a leg
 * whose journal write fails is not sent (the attempt fails like a leg the
 * network refused, and the engine rolls over).
 */
import type { Logger } from '../ports.ts';
import type { CallDialog, SipUac } from '../session/sip.ts';

export interface LegJournal {
  /** Resolves once the leg is durable. */
  opened(sipCallId: string, target: string): Promise<void>;
  /** The legs ended (best effort: a leftover row only costs a BYE to nobody). */
  closed(sipCallIds: readonly string[]): Promise<void>;
}

export function journaledUac(
  inner: SipUac,
  journal: LegJournal,
  logger: Logger,
  newCallId: () => string = () => crypto.randomUUID(),
): SipUac {
  const forget = (sipCallId: string) => {
    journal.closed([sipCallId]).catch((err: unknown) => {
      logger.warn({ err, sipCallId }, 'open-legs journal: could not remove an ended leg');
    });
  };
  return {
    async invite(request, progress) {
      const sipCallId = newCallId();
      await journal.opened(sipCallId, request.uri);
      let dialog: CallDialog;
      try {
        dialog = await inner.invite(
          { ...request, headers: { ...request.headers, 'Call-ID': sipCallId } },
          progress,
        );
      } catch (err) {
        forget(sipCallId);
        throw err;
      }
      return endsForgotten(dialog, () => forget(sipCallId));
    },
  };
}

/** The dialog, with `onForget` run once when it ends, before the owner hears of the end. */
function endsForgotten(dialog: CallDialog, onForget: () => void): CallDialog {
  type EndListener = (by: 'remote' | 'local', reason: string) => void;
  let owner: EndListener | null = null;
  let ended: { by: 'remote' | 'local'; reason: string } | null = null;
  dialog.onEnded((by, reason) => {
    ended = { by, reason };
    onForget();
    owner?.(by, reason);
  });
  const wrapped: CallDialog = {
    id: dialog.id,
    sipCallId: dialog.sipCallId,
    get remoteSdp() {
      return dialog.remoteSdp;
    },
    get ended() {
      return dialog.ended;
    },
    onEnded(cb) {
      owner = cb;
      // Same contract as the dialog's own: a listener that comes late still hears the end.
      if (ended) cb(ended.by, ended.reason);
    },
    onModify: (cb) => dialog.onModify(cb),
    modify: (offer) => dialog.modify(offer),
    end: (reason) => dialog.end(reason),
  };
  const { refer, onInfo } = dialog;
  if (refer) wrapped.refer = (target) => refer.call(dialog, target);
  if (onInfo) wrapped.onInfo = (cb) => onInfo.call(dialog, cb);
  return wrapped;
}
