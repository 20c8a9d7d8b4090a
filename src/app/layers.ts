/**
 * The layers `npm start` runs between the store and the HTTP API, in start
 * order (they close in reverse):
 *
 *   sip-edge      embedded SIP server (or the address of a real drachtio-server)
 *   srf           drachtio-srf connected to it (reconnects by itself)
 *   leadership    one router at a time: the routing lease and gate (leadership/)
 *   media         drachtio-fsmrf connected to the embedded media server (or FreeSWITCH)
 *   call-control  registrar, OPTIONS prober, ACD engine, call control, call log
 *   change-feed   changes made elsewhere (another instance, SQL by hand) as events (LISTEN/NOTIFY)
 *   break-ender   ends timed breaks on time (store + agent.status event)
 *
 * Each is a `LayerStarter` receiving the config, logger, store, event bus and
 * metrics registry; they hand the SIP address and srf on through a wiring
 * object of their own (src/app/telephony/wiring.ts).
 */
import { breakEnder } from './break-ender.ts';
import type { Config } from './config.ts';
import { changeFeed } from './leadership/change-feed.ts';
import { leadershipLayer } from './leadership/leadership-layer.ts';
import type { LayerStarter } from './start-app.ts';
import { type CallControlRuntime, callControlLayer } from './telephony/call-control-layer.ts';
import { mediaLayer } from './telephony/media-layer.ts';
import { sipEdgeLayer } from './telephony/sip-edge-layer.ts';
import { srfLayer } from './telephony/srf-layer.ts';
import { newWiring, type TelephonyOptions, type TelephonyWiring } from './telephony/wiring.ts';

/** How often due breaks are ended: an agent is back within this of the break's end. */
const BREAK_CHECK_MS = 5000;

export interface ProductionLayerOptions extends TelephonyOptions {
  /** Told the live call-control objects once started (null after close); tests and bench use it. */
  onCallControl?: (runtime: CallControlRuntime | null) => void;
  /** Receives the wiring (SIP edge, srf) for inspection. */
  onWiring?: (wiring: TelephonyWiring) => void;
}

export function productionLayers(
  _config: Config,
  options: ProductionLayerOptions = {},
): LayerStarter[] {
  const wiring = newWiring(options);
  options.onWiring?.(wiring);
  return [
    sipEdgeLayer(wiring),
    srfLayer(wiring),
    leadershipLayer(wiring),
    mediaLayer(wiring),
    callControlLayer(wiring, options.onCallControl),
    // After call control, which follows the events it publishes.
    changeFeed(),
    // Last, so call control already follows 'agent.status' when the first
    // break ends; it persists the end (status, history) and announces it.
    breakEnder({ intervalMs: BREAK_CHECK_MS }),
  ];
}
