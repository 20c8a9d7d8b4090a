/**
 * The open-legs journal of one instance, over the store's table: what the
 * call path writes before each agent INVITE (calls/takeover/journaled-uac.ts).
 */
import type { LegJournal } from '../../calls/takeover/journaled-uac.ts';
import type { Db } from '../../store/db.ts';
import { OpenLegsRepo } from '../../store/open-legs.ts';

export function openLegsJournal(db: Db, instance: string): LegJournal {
  const repo = new OpenLegsRepo(db);
  return {
    opened: (sipCallId, target) => repo.opened(sipCallId, instance, target),
    closed: (sipCallIds) => repo.closed(sipCallIds),
  };
}
