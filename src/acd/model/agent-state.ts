/**
 * Agent life-cycle.
 *
 * The state says what the agent is doing; the agent's chosen status (presence:
 * available, away, break, offline) says what they want. While ringing or on a
 * call the state follows the activity, and a status chosen meanwhile takes
 * effect when the ring or the call (and its wrap-up) ends.
 *
 * ```
 *                  offer                      answer
 *   ┌───────────┐ ───────────▶ ┌─────────┐ ───────────▶ ┌────────┐
 *   │ available │              │ ringing │              │ onCall │──┐ offer below the
 *   └───────────┘ ◀─────────── └─────────┘ ◀─────────── └────────┘  │ maximum (multi-call)
 *     ▲   ▲   │   missed / cancelled │   ▲     missed       │   ▲    │
 *     │   │   │                      │   └──────────────────┼───┴────┘
 *     │   │   │ status               │ missed, status      │ last call ended
 *     │   │   ▼                      ▼ not available       ▼ (wrap-up > 0)
 *     │   │  ┌───────────────────────────┐  status    ┌────────┐
 *     │   └──│ away / break / offline    │ ◀───────── │ wrapUp │
 *     │      └───────────────────────────┘            └────────┘
 *     │   status, break over                              │
 *     └────────────────── wrap-up over ───────────────────┘
 * ```
 * (Without wrap-up, the last call ends straight in available or the chosen
 * status; a multi-call agent whose other call ends while ringing goes
 * ringing -> wrapUp when the ring is missed. ALLOWED below is the full table.)
 *
 * - available: free for an offer (if reachable and calls are on in the department).
 * - ringing: one offer outstanding; never two at once (ring-all included).
 * - onCall: connected; an agent allowed several calls stays offerable below the maximum.
 * - wrapUp: after the last call ended, for the department's wrap-up time.
 * - away / break: paused (break ends by itself at its end time); offline: logged out.
 */
export type AgentState =
  | 'offline'
  | 'available'
  | 'ringing'
  | 'onCall'
  | 'wrapUp'
  | 'away'
  | 'break';

/** The only moves the engine may make; anything else is a bug and throws. */
const ALLOWED: Readonly<Record<AgentState, readonly AgentState[]>> = {
  offline: ['available', 'away', 'break'],
  available: ['ringing', 'away', 'break', 'offline'],
  away: ['available', 'break', 'offline'],
  break: ['available', 'away', 'offline'],
  // A ring ends in a call, or (missed/cancelled) in whatever the agent was doing or chose.
  ringing: ['onCall', 'available', 'away', 'break', 'offline', 'wrapUp'],
  // Several calls: offered again while on a call; the last call ends in wrap-up or the status.
  onCall: ['ringing', 'wrapUp', 'available', 'away', 'break', 'offline'],
  wrapUp: ['available', 'away', 'break', 'offline'],
};

export class IllegalAgentTransition extends Error {
  constructor(
    readonly agentId: string,
    readonly from: AgentState,
    readonly to: AgentState,
  ) {
    super(`agent ${agentId}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalAgentTransition';
  }
}

export function canTransition(from: AgentState, to: AgentState): boolean {
  return ALLOWED[from].includes(to);
}

/** Validates a move; returns false when there is nothing to do (same state). */
export function checkAgentTransition(agentId: string, from: AgentState, to: AgentState): boolean {
  if (from === to) return false;
  if (!canTransition(from, to)) throw new IllegalAgentTransition(agentId, from, to);
  return true;
}
