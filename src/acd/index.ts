/**
 * ACD routing engine: the public API.
 *
 * ```ts
 * const acd = createAcd(config, { now: Date.now(), random: Math.random });
 * const { actions, nextWakeUp } = acd.handle({ type: 'callArrived', at: Date.now(), ... });
 * // carry out actions in order; arm ONE timer for nextWakeUp and then send
 * // acd.handle({ type: 'tick', at: Date.now() })
 * ```
 *
 * Call control (src/calls) turns SIP and registrar events into `AcdEvent`s and
 * carries out the returned `AcdAction`s; the engine does no I/O, reads no
 * clock and draws randomness only from `options.random`.
 *
 * Contract for call control:
 * - feed events one at a time, in the order they happened, with their clock reading;
 * - run ONE timer for the latest `nextWakeUp` and send a `tick` when it fires
 *   (a late tick is fine: due steps run in time order before the next event);
 * - SIP races need no guarding: an answer for an attempt that already ended
 *   gets `dropLateAnswer`, late failures and hang-ups of unknown calls are ignored;
 * - `handle` throws only for caller bugs (`AcdInputError`: duplicate call id,
 *   bad clock; `AcdConfigError`: invalid configuration), before changing anything.
 * Details, strategies and formulas: docs/acd.md.
 */
import { type AcdOptions, AcdEngine } from './engine/engine.ts';
import type { AcdConfig } from './model/types.ts';

export type {
  AcdAction,
  Announce,
  Bridge,
  CallbackAccepted,
  CallbackRetryScheduled,
  CallCompleted,
  CallOutcome,
  CancelReason,
  CancelRing,
  DialCallback,
  DropLateAnswer,
  EndCallbackDial,
  HangUp,
  ExitReason,
  Overflow,
  PauseAgent,
  Reject,
  Ring,
  AgentStateChanged,
} from './model/actions.ts';
export { type AgentState, canTransition, IllegalAgentTransition } from './model/agent-state.ts';
export { isOpen, localTime, nextLocalMidnight } from './model/business-hours.ts';
export { AcdConfigError } from './model/config-check.ts';
export type { CallFlowEventMap, ReconcileFixed } from './model/call-flow-events.ts';
export type { Decision, Skipped, SkipReason } from './model/decision.ts';
export { IllegalCallTransition } from './engine/call-state.ts';
export {
  AcdEngine,
  AcdInputError,
  type AcdLive,
  type AcdLiveState,
  type AcdOptions,
  type AcdOutput,
  type AcdSnapshot,
} from './engine/engine.ts';
export { expectedWaitS } from './model/estimates.ts';
export type { AcdEvent, RingFailure } from './model/events.ts';
export { seededRandom } from './collections/random.ts';
export { type AgentStats, type DepartmentStats, summarize } from './model/stats.ts';
export { STRATEGY_RULES } from './routing/strategies.ts';
export * from './model/types.ts';

/** Builds an engine from the stored configuration. */
export function createAcd(config: AcdConfig, options: AcdOptions): AcdEngine {
  return new AcdEngine(config, options);
}
