/**
 * What the composition root hands to telephony and to the layers after it,
 * and what each layer hands back (start-app.ts starts them in order and
 * closes them in reverse).
 */
import type { ApiEvents } from '../../api/events/api-events.ts';
import type { LiveSource } from '../../api/events/live-service.ts';
import type { ApiMetrics } from '../../api/metrics.ts';
import type { Store } from '../../store/index.ts';
import type { Config } from '../settings/config.ts';
import type { AgentStatusService } from './agent-status.ts';
import type { Logger } from './logger.ts';

/** What telephony and the later layers get to start themselves with. */
export interface LayerContext {
  config: Config;
  logger: Logger;
  store: Store;
  /** Subscribe to API changes; publish call and agent events for the WebSocket stream. */
  events: ApiEvents;
  metrics: ApiMetrics;
  /** The one writer of agent status (agent-status.ts). */
  agentStatus: AgentStatusService;
}

export interface RunningLayer {
  name: string;
  /** Added to /readyz: null when fine, else a short reason. */
  ready?: () => Promise<string | null>;
  /** Ends the layer's work (calls, dialogs, timers); awaited before the database closes. */
  close(): Promise<void>;
  /** A routing engine's picture for the live view, from a layer that routes (tests, benchmarks). */
  live?: LiveSource;
}

/** Starts one layer; layers start in order after the store and close in reverse. */
export type LayerStarter = (ctx: LayerContext) => Promise<RunningLayer>;
