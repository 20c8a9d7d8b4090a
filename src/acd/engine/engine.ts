import type { AcdAction } from '../model/actions.ts';
import { applyConfig, validateConfig } from './config-apply.ts';
import { applyEvent, validateEvent } from './apply-event.ts';
import { estimateFor, settle } from './dispatch.ts';
import { createState, type EngineState, newStep } from './state.ts';
import { runDueTasks, scheduleDayReset } from './tasks.ts';
import type { AcdEvent } from '../model/events.ts';
import { isWaiting } from '../routing/records.ts';
import {
  type AcdLive,
  type AcdLiveState,
  type AcdSnapshot,
  buildLive,
  buildLiveState,
  buildSnapshot,
} from '../routing/snapshot.ts';
import type { AcdConfig } from '../model/types.ts';

export { AcdInputError } from './apply-event.ts';
export type { AcdLive, AcdLiveState, AcdSnapshot } from '../routing/snapshot.ts';

export interface AcdOptions {
  /** Uniform in [0, 1): the only source of randomness (random strategy). */
  random: () => number;
  /** Clock reading (epoch ms) when the engine starts. */
  now: number;
  /** Attach a full `Decision` to every ring (one pass over the department's members). Default true. */
  explain?: boolean;
  /** Time zone whose midnight resets the "today" counters. Default 'UTC'. */
  statsTimeZone?: string;
  /** Handle time assumed for estimates before a department has history. Default 180 s. */
  defaultHandleTimeS?: number;
  /** How many recent handle times the estimate averages. Default 20. */
  handleTimeWindow?: number;
  /**
   * Least time between the starts of two rounds of one call (default 1000 ms,
   * at least 1 ms). Each agent is rung at most once per round, so this caps
   * rings per agent per call. With `retryDelayS` 0 and agents whose rings fail
   * at once (a trunk that rejects, a mobile that may not be rung), rounds
   * would otherwise follow each other without end inside one event.
   */
  minRoundIntervalMs?: number;
}

/** The result of one event: actions for call control and when to send the next tick. */
export interface AcdOutput {
  actions: AcdAction[];
  /** Epoch ms of the next time-based step (null = nothing pending). */
  nextWakeUp: number | null;
}

/**
 * The routing engine. `handle(event)` applies one event, runs every routing
 * decision it makes possible and returns the actions; it performs no I/O and
 * reads no clock. The state is one record (`EngineState`) that the functions
 * in `engine/` change, only inside `handle`.
 */
export class AcdEngine {
  readonly #s: EngineState;

  constructor(config: AcdConfig, options: AcdOptions) {
    this.#s = createState(
      {
        random: options.random,
        explain: options.explain ?? true,
        statsTimeZone: options.statsTimeZone ?? 'UTC',
        defaultHandleTimeS: options.defaultHandleTimeS ?? 180,
        handleTimeWindow: options.handleTimeWindow ?? 20,
        minRoundIntervalMs: Math.max(1, options.minRoundIntervalMs ?? 1000),
      },
      options.now,
    );
    const initial = {
      departments: config.departments,
      agents: config.agents,
      memberships: config.memberships,
    };
    validateConfig(this.#s, initial);
    // The agents' first states are the starting point, not news: this step's actions are dropped.
    applyConfig(this.#s, newStep(), initial);
    scheduleDayReset(this.#s);
  }

  get now(): number {
    return this.#s.now;
  }

  /** Applies one event; returns the actions to carry out, in order, and the next wake-up. */
  handle(event: AcdEvent): AcdOutput {
    const s = this.#s;
    validateEvent(s, event);
    const step = newStep();
    runDueTasks(s, step, event.at);
    s.now = Math.max(s.now, event.at);
    applyEvent(s, step, event);
    settle(s, step);
    return { actions: step.actions, nextWakeUp: s.agenda.next() };
  }

  /** Next time-based step (same as the last output's `nextWakeUp`). */
  nextWakeUp(): number | null {
    return this.#s.agenda.next();
  }

  /** Position (1 = next) and expected wait of a waiting call; null if not waiting. */
  estimate(callId: string): { position: number; expectedWaitS: number | null } | null {
    const call = this.#s.calls.get(callId);
    if (!call || !isWaiting(call)) return null;
    return estimateFor(call);
  }

  /** Queue lengths, longest waits and agent counts per state, for the wallboard. */
  live(): AcdLive {
    const s = this.#s;
    return buildLive(s.now, s.depts.values(), s.agents.values());
  }

  /** Waiting calls, agent states and connected calls for the live view (no statistics, no copies). */
  liveState(): AcdLiveState {
    const s = this.#s;
    return buildLiveState(s.now, s.depts.values(), s.agents.values(), s.calls.values());
  }

  /** A read-only picture of the whole engine, for the wallboard, tests and debugging. */
  snapshot(): AcdSnapshot {
    const s = this.#s;
    return buildSnapshot(s.now, s.depts.values(), s.agents.values(), s.calls.values());
  }
}
