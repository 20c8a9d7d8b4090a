/**
 * The layers `npm start` runs between the store and the HTTP API, in start
 * order (they close in reverse). The SIP edge (embedded server unless
 * `drachtio.host` names a drachtio-server), drachtio-srf, media and call
 * control join this list as they are wired in; each is a `LayerStarter`
 * that receives the config, logger, store, event bus and metrics registry.
 */
import type { Config } from './config.ts';
import type { LayerStarter } from './start-app.ts';

export function productionLayers(_config: Config): LayerStarter[] {
  return [];
}
