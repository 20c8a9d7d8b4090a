/**
 * What the telephony layers hand on to each other. `productionLayers` makes
 * one of these per app; the SIP edge layer fills in the drachtio address,
 * the srf layer the connected srf, and the call-control layer reads both.
 * Layers start in order, so a later layer always finds what an earlier one set.
 */
import type { MrfMediaServer } from '../../calls/media/mrf-types.ts';
import type { EmbeddedSipServer } from '../../edge/index.ts';
import type { RoutingGate } from '../leadership/routing-gate.ts';
import type { EmbeddedMediaServer } from '../../media/index.ts';
import type { ConnectedSrf } from './srf-layer.ts';

export interface DrachtioAddress {
  host: string;
  port: number;
  secret: string;
}

export interface TelephonyOptions {
  /**
   * Probe registered devices with OPTIONS (default true). sipp peers that
   * only expect INVITEs turn it off: an unexpected OPTIONS fails their scenario.
   */
  optionsProbe?: boolean;
  /** Interval of the OPTIONS probe per device (default 30 s). */
  optionsIntervalMs?: number;
  /**
   * Run the embedded SIP server on a worker thread of its own (default true);
   * false keeps it on the app's thread (comparisons, profiling).
   */
  sipThread?: boolean;
  /** SIP timers of the embedded server (tests and benchmarks shorten them). */
  sipTimers?: { t1Ms?: number; t2Ms?: number; t4Ms?: number };
}

export interface TelephonyWiring {
  options: TelephonyOptions;
  drachtio: DrachtioAddress | null;
  /** Set only in embedded mode. */
  edge: EmbeddedSipServer | null;
  srf: ConnectedSrf | null;
  /** Whether this instance routes new requests (set by the leadership layer; null = always). */
  routing: RoutingGate | null;
  /** Set by the media layer when queued callers are answered into media. */
  media?: {
    /** The connected media server (null while its connection is down). */
    server(): MrfMediaServer | null;
    /** The embedded media server, when it runs in this process (leak checks). */
    embedded: EmbeddedMediaServer | null;
  } | null;
}

export function newWiring(options: TelephonyOptions = {}): TelephonyWiring {
  return { options, drachtio: null, edge: null, srf: null, routing: null };
}
