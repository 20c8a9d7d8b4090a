/**
 * The final response a caller gets when the call leaves the queue without an
 * agent (the engine's `reject` action). One table, so the call log, the tests
 * and the docs agree. A caller answered into media hears the message and,
 * at a voicemail exit, leaves one (src/calls/voicemail/); this response is
 * what a caller without media gets: voicemail needs an answered call, so
 * there it is the reason's response with its own phrase.
 */
import type { Reject } from '../../acd/index.ts';
import { trunkTarget } from '../dialer/forwarding-plan.ts';

export interface ExitResponse {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

const BY_REASON: Record<Reject['reason'], ExitResponse> = {
  'out-of-hours': { status: 480, reason: 'Out Of Hours' },
  'no-agent': { status: 480, reason: 'No Agent Available' },
  'queue-full': { status: 486, reason: 'Queue Full' },
  'max-wait': { status: 480, reason: 'Maximum Wait Reached' },
  'unknown-department': { status: 404, reason: 'Not Found' },
  'department-removed': { status: 480, reason: 'Department Closed' },
  'overflow-loop': { status: 480, reason: 'Temporarily Unavailable' },
};

export function exitResponse(action: Reject, trunkUri: string | null): ExitResponse {
  const base = BY_REASON[action.reason];
  switch (action.exit.kind) {
    case 'forward':
      // A redirect: the caller's side (trunk or PBX) places the call to the number.
      if (trunkUri !== null) {
        return {
          status: 302,
          reason: 'Moved Temporarily',
          headers: { Contact: `<${trunkTarget(trunkUri, action.exit.number)}>` },
        };
      }
      return base;
    case 'voicemail':
      return { status: base.status, reason: `${base.reason} (No Voicemail)` };
    default:
      return base;
  }
}
