/**
 * Address helpers of the transport layer: our own addresses, an exclusive
 * port probe, and the stamped Via of a refused request.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import type { HasHeaders } from '../sip/headers.ts';
import { stampTopVia } from '../sip/index.ts';
import type { Remote } from './endpoints.ts';

/**
 * A refused request with its top Via stamped (received/rport) when that Via
 * could be read, so that even a 400 reaches a sender behind NAT (§18.2.1).
 */
export function stampedRequest<T extends HasHeaders>(request: T, src: Remote): T {
  const headers = stampTopVia(request.headers, src.address, src.port);
  return headers ? { ...request, headers } : request;
}

/** Binds `host:port` without SO_REUSEADDR and lets go: fails when anything holds the port. */
export function exclusiveUdpPort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    probe.once('error', (err) => {
      probe.close();
      reject(err);
    });
    probe.bind(port, host, () => {
      const bound = probe.address().port;
      probe.close(() => resolve(bound));
    });
  });
}

export function firstExternalIPv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function isOwnInterfaceAddress(host: string): boolean {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.address === host) return true;
  }
  return false;
}
