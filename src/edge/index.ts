/**
 * Embedded SIP server speaking drachtio's wire protocol (issue 4).
 *
 * drachtio-srf apps connect to `controlAddress` exactly as to drachtio-server
 * (`srf.connect({host, port, secret})`); the server carries real SIP over
 * UDP and TCP. See docs/edge.md.
 */
import { EdgeServer } from './server.ts';
import type { EmbeddedSipServer, EmbeddedSipServerOptions } from './types.ts';

export type {
  BoundAddress,
  EdgeStats,
  EmbeddedSipServer,
  EmbeddedSipServerOptions,
  SipListen,
  SipProtocol,
  SipTimers,
} from './types.ts';

/** Binds the SIP transports and the control port; resolves once all are listening. */
export async function startSipServer(
  options: EmbeddedSipServerOptions,
): Promise<EmbeddedSipServer> {
  const server = new EdgeServer(options);
  await server.start();
  return server;
}
