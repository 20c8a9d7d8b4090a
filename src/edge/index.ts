/**
 * Embedded SIP server speaking drachtio's wire protocol.
 *
 * drachtio-srf apps connect to `controlAddress` exactly as to drachtio-server
 * (`srf.connect({host, port, secret})`); the server carries real SIP over
 * UDP and TCP. See docs/edge.md.
 */
import { EdgeServer } from './server.ts';
import { newCounters } from './shared/stats.ts';
import type { EmbeddedSipServer, EmbeddedSipServerOptions } from './shared/types.ts';

export type {
  BoundAddress,
  EdgeStats,
  EmbeddedSipServer,
  EmbeddedSipServerOptions,
  SentObserver,
  SipListen,
  SipProtocol,
  SipTimers,
} from './shared/types.ts';

export { COUNTERS_BYTES, newCounters } from './shared/stats.ts';
export { monotonicMs } from './shared/timers.ts';

/**
 * Binds the SIP transports and the control port; resolves once all are
 * listening. `countersBuffer` (COUNTERS_BYTES long, usually a
 * SharedArrayBuffer) is where `stats()` counts, for a reader on another thread.
 */
export async function startSipServer(
  options: EmbeddedSipServerOptions,
  countersBuffer?: ArrayBufferLike,
): Promise<EmbeddedSipServer> {
  const server = new EdgeServer(options, newCounters(countersBuffer));
  await server.start();
  return server;
}
