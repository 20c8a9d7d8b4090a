/**
 * What the leadership layer shares with telephony: it reads the connected
 * srf (a new leader ends the legs a dead one left up), sets `routing` when it
 * starts and clears it when it closes, and notes in `lostDialOuts` the
 * numbers a dead leader's INVITEs may still ring before it opens the gate.
 * On a database server it also keeps the open-legs journal, whose reserved
 * Call-IDs are good only while this instance leads.
 * start-telephony.ts makes one per start and gives the gate, the book and the
 * journal to call control.
 */
import type { SrfRequester } from '../../calls/srf/srf-options.ts';
import type { LostDialOutBook } from '../../calls/takeover/lost-dial-outs.ts';
import type { OpenLegsJournal } from './open-legs-journal.ts';
import type { RoutingGate } from './routing-gate.ts';

export interface TelephonyWiring {
  /** srf, as far as the takeover uses it (out-of-dialog requests). */
  srf: SrfRequester | null;
  routing: RoutingGate | null;
  lostDialOuts: LostDialOutBook;
  /** Set by the leadership layer on a database server; null in embedded mode. */
  openLegs: OpenLegsJournal | null;
}
