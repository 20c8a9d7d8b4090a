/**
 * The HTTP server around the express app and the WebSocket stream, with a
 * graceful close: stop accepting, let in-flight requests (writes) finish
 * within a grace period, then cut what is left.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { ApiTokens, Role } from './http/auth.ts';
import { attachEventStream, type EventSource, type EventStream } from './events/stream.ts';

export interface ApiServerOptions {
  app: Express;
  host: string;
  port: number;
  tokens: ApiTokens;
  events: EventSource;
  /** Limits of the WebSocket event stream (see events/stream.ts for the defaults). */
  stream?: { maxBufferedBytes?: number; maxClientsPerToken?: number };
  /** One-time WebSocket tickets for browsers. */
  redeemTicket?: (ticket: string) => Role | null;
  /** The live view sent first to `?live=true` WebSocket clients. */
  liveSnapshot?: () => Promise<unknown>;
  onError?: (err: unknown) => void;
}

export interface ApiServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  server: Server;
  events: EventStream;
  inFlight(): number;
  /**
   * Stops accepting, waits up to `graceMs` for in-flight requests, closes the
   * event stream and every connection. Safe to call twice.
   */
  close(graceMs: number): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const server = createServer(options.app);
  // Slow-loris protection for a server that may face a LAN.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  let active = 0;
  let closing = false;
  const drained: Array<() => void> = [];
  server.on('request', (_req, res) => {
    active++;
    res.once('close', () => {
      active--;
      if (closing) {
        server.closeIdleConnections();
        if (active === 0) for (const r of drained.splice(0)) r();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (options.onError) server.on('error', options.onError);
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${hostForUrl === '0.0.0.0' || hostForUrl === '[::]' ? '127.0.0.1' : hostForUrl}:${port}`;
  const events = attachEventStream({
    server,
    tokens: options.tokens,
    events: options.events,
    ...options.stream,
    ...(options.liveSnapshot ? { liveSnapshot: options.liveSnapshot } : {}),
    ...(options.redeemTicket ? { redeemTicket: options.redeemTicket } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });

  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    server,
    events,
    inFlight: () => active,
    close(graceMs) {
      closed ??= (async () => {
        closing = true;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await events.close();
        if (active > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => drained.push(resolve)),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, graceMs);
            }),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await serverClosed;
      })();
      return closed;
    },
  };
}
