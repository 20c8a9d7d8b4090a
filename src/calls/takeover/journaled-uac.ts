/**
 * Agent legs that another instance can end after this one dies (and
 * callbacks' customer legs, which leave through the same UAC: a takeover
 * holds their requests back while such a leg may still ring, see
 * lost-dial-outs.ts).
 *
 * With several instances on one database, the leader writes each agent leg's
 * SIP Call-ID to a journal before its INVITE leaves, and deletes it when the
 * leg ends. If the leader is killed, the legs it had up stay up at the SIP
 * server; the instance that takes over reads the journal and ends each one
 * (`orphan-legs.ts`), so no agent is offered a call while a lost one still
 * holds the line. Writing first costs one database round trip per leg,
 * unless the journal has a Call-ID written ahead of need for it. The
 * journal must not stop service: when the database does not answer within
 * `JOURNAL_WAIT_MS` or refuses the write (an outage the call path rides
 * through), the INVITE leaves anyway and a warning says that this leg could
 * not be ended by another instance.
 */
import type { Logger } from '../ports/index.ts';
import type { CallDialog, SipUac } from '../sip/sip.ts';
import { dialledNumber } from './lost-dial-outs.ts';

export interface LegJournal {
  /**
   * A Call-ID already durable in the journal, written ahead of need, or null
   * when none is ready. Only for legs to devices: a leg to a number needs its
   * own row naming the number (lost-dial-outs.ts).
   */
  reserved(): string | null;
  /** Resolves once the leg is durable. */
  opened(sipCallId: string, target: string): Promise<void>;
  /** The legs ended (best effort: a leftover row only costs a BYE to nobody). */
  closed(sipCallIds: readonly string[]): Promise<void>;
}

/** Longest an INVITE waits for its journal row. */
export const JOURNAL_WAIT_MS = 500;

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
      const reserved = dialledNumber(request.uri) === null ? journal.reserved() : null;
      const sipCallId = reserved ?? newCallId();
      if (reserved === null) await journalled(journal, sipCallId, request.uri, logger);
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

/** Resolves when the row is written, or when it is clear it cannot be written in time. */
function journalled(
  journal: LegJournal,
  sipCallId: string,
  target: string,
  logger: Logger,
): Promise<void> {
  return new Promise((resolve) => {
    const unjournalled = (why: string, err?: unknown) => {
      logger.warn(
        { err, sipCallId, target },
        `open-legs journal: ${why}; the leg goes out unjournalled (a takeover could not end it)`,
      );
      resolve();
    };
    const timer = setTimeout(
      () => unjournalled('the database did not answer in time'),
      JOURNAL_WAIT_MS,
    );
    timer.unref?.();
    journal.opened(sipCallId, target).then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        unjournalled('the write failed', err);
      },
    );
  });
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
