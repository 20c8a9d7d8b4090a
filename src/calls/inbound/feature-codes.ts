/**
 * Agent feature codes dialled from a registered softphone (pure):
 *   *51  set my status to available
 *   *52  set my status to away
 * Only an agent identified as the caller (a registered device of theirs) may
 * use them, and only when the agent may change their own status. The caller
 * hears a short answer: the call is answered and hung up at once on success,
 * refused with 403 otherwise.
 */
import type { Presence } from '../../acd/index.ts';

export const FEATURE_CODES: Readonly<Record<string, 'available' | 'away'>> = {
  '*51': 'available',
  '*52': 'away',
};

export interface FeatureCodeAgent {
  id: string;
  status: Presence;
  mayChangeOwnStatus: boolean;
}

export type FeatureCodeDecision =
  /** Not a feature code: route the call as usual. */
  | { kind: 'not-a-feature-code' }
  /** Set the status (`changed` false when it already was), then answer and hang up. */
  | { kind: 'set-status'; agentId: string; status: 'available' | 'away'; changed: boolean }
  /** Refuse with this status code (403 not allowed / not an agent, 404 unknown code). */
  | {
      kind: 'refuse';
      sipStatus: 403 | 404;
      reason: 'not-an-agent' | 'not-allowed' | 'unknown-code';
    };

/**
 * The dialled user part, with `%2A` decoded and any `;param` dropped, if it
 * looks like a feature code (a `*` then digits); otherwise null.
 */
export function featureCodeOf(dialledUser: string): string | null {
  let user: string;
  try {
    user = decodeURIComponent(dialledUser.split(';', 1)[0] ?? '').trim();
  } catch {
    return null;
  }
  return /^\*\d{1,4}$/.test(user) ? user : null;
}

export function decideFeatureCode(
  dialledUser: string,
  agent: FeatureCodeAgent | null,
): FeatureCodeDecision {
  const code = featureCodeOf(dialledUser);
  if (code === null) return { kind: 'not-a-feature-code' };
  // Strangers get the same answer for every code, so they learn nothing.
  if (agent === null) return { kind: 'refuse', sipStatus: 403, reason: 'not-an-agent' };
  const status = FEATURE_CODES[code];
  if (status === undefined) return { kind: 'refuse', sipStatus: 404, reason: 'unknown-code' };
  if (!agent.mayChangeOwnStatus) return { kind: 'refuse', sipStatus: 403, reason: 'not-allowed' };
  return { kind: 'set-status', agentId: agent.id, status, changed: agent.status !== status };
}
