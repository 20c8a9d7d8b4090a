/**
 * Telephony, started in order and stopped in reverse:
 *
 *   sip edge      the embedded SIP server (or the address of a real drachtio-server)
 *   srf           drachtio-srf connected to it (reconnects by itself)
 *   leadership    one router at a time: the routing lease and gate (leadership/)
 *   media         drachtio-fsmrf connected to the embedded media server (or
 *                 FreeSWITCH); nothing with `media.callers = 'ringback'`
 *   call control  registrar, OPTIONS prober, ACD engine, call control, call log
 *
 * Each part gets what the parts before it returned; a start that fails half
 * way stops what already runs.
 */
import type { LiveSource } from '../../api/events/live-service.ts';
import type { EmbeddedSipServer } from '../../edge/index.ts';
import { leadershipLayer } from '../leadership/leadership-layer.ts';
import type { Logger } from '../runtime/logger.ts';
import type { LayerContext } from '../runtime/layer.ts';
import { type CallControlRuntime, startCallControl } from './call-control-layer.ts';
import { connectMedia, type MediaConnection } from './media-connection.ts';
import { startSipEdge } from './sip-edge.ts';
import { connectSrf } from './srf-connection.ts';
import type { ConnectedSrf } from './srf-connection.ts';
import type { SrfRequester } from '../../calls/srf/srf-options.ts';
import type { TelephonyWiring } from '../leadership/telephony-slot.ts';
import { LostDialOutBook } from '../../calls/takeover/lost-dial-outs.ts';

export interface Telephony {
  /** The embedded SIP server; null with a real drachtio-server. */
  edge: EmbeddedSipServer | null;
  /** drachtio-srf, connected to the SIP server. */
  srf: ConnectedSrf;
  /** Null with `media.callers = 'ringback'`. */
  media: MediaConnection | null;
  /** Call control's live objects (counters for /metrics, the benchmark and leak checks). */
  calls: CallControlRuntime;
  /** The routing engine's picture, for the live view. */
  live: LiveSource;
  /** For /readyz: null when fine, else a short reason. */
  checks: Record<string, () => Promise<string | null>>;
  /** Stops every part in reverse order; safe to call more than once. */
  close(): Promise<void>;
}

interface Part {
  name: string;
  close(): Promise<void>;
}

/** Closes in reverse; a part that fails to close is logged and the rest still close. */
async function closeInReverse(parts: Part[], logger: Logger): Promise<void> {
  for (const part of parts.splice(0).reverse()) {
    try {
      await part.close();
    } catch (err) {
      logger.error({ err, component: part.name }, 'error while closing');
    }
  }
}

export async function startTelephony(ctx: LayerContext): Promise<Telephony> {
  const { config, logger } = ctx;
  const running: Part[] = [];
  const started = <T extends Part>(part: T): T => {
    running.push(part);
    logger.info({ layer: part.name }, 'layer started');
    return part;
  };
  try {
    const edge = await startSipEdge(config, logger);
    started({ name: 'sip-edge', close: edge.close });
    const srf = await connectSrf(edge.address, logger);
    started({ name: 'srf', close: srf.close });
    // The leadership layer reads srf from this slot and hands its routing gate back through it.
    const slot: TelephonyWiring = {
      srf: srf.srf as unknown as SrfRequester,
      routing: null,
      lostDialOuts: new LostDialOutBook(),
      openLegs: null,
    };
    const leadership = started(await leadershipLayer(slot)(ctx));
    const routing = slot.routing;
    if (!routing) throw new Error('the leadership layer started without a routing gate');
    const media = await connectMedia(config, srf.srf, logger);
    if (media) started({ name: 'media', close: media.close });
    const calls = await startCallControl(ctx, {
      srf: srf.srf,
      edge: edge.server,
      media,
      routing,
      lostDialOuts: slot.lostDialOuts,
      openLegs: slot.openLegs,
    });
    started({ name: 'call-control', close: calls.close });

    const checks: Telephony['checks'] = { srf: srf.ready };
    if (leadership.ready) checks.leadership = leadership.ready;
    if (media) checks.media = media.ready;
    let closing: Promise<void> | null = null;
    return {
      edge: edge.server,
      srf: srf.srf,
      media,
      calls: calls.runtime,
      live: calls.live,
      checks,
      close() {
        closing ??= closeInReverse(running, logger);
        return closing;
      },
    };
  } catch (err) {
    await closeInReverse(running, logger);
    throw err;
  }
}
