/** A real `ws` client that collects the events of the stream for assertions. */
import WebSocket from 'ws';
import { Arrivals } from '../../support/arrivals.ts';

export interface StreamEvent {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export interface EventClient {
  ws: WebSocket;
  events: StreamEvent[];
  /** Resolves with the first event (already received or coming) matching `pred`. */
  waitFor(pred: (e: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): Promise<void>;
}

export function eventsUrl(httpUrl: string, token?: string): string {
  const base = `${httpUrl.replace(/^http/, 'ws')}/api/events`;
  return token === undefined ? base : `${base}?token=${encodeURIComponent(token)}`;
}

/** Opens the stream; rejects with the HTTP status when the upgrade is refused. */
export function connect(url: string, headers: Record<string, string> = {}): Promise<EventClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const events: StreamEvent[] = [];
    const arrivals = new Arrivals(
      events,
      (ms) => `no matching event within ${ms} ms; got ${events.map((x) => x.type).join(', ')}`,
    );
    ws.on('message', (raw) => arrivals.add(JSON.parse(String(raw)) as StreamEvent));
    ws.once('unexpected-response', (_req, res) => {
      reject(
        Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }),
      );
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
    ws.once('open', () => {
      const client: EventClient = {
        ws,
        events,
        waitFor: (pred, timeoutMs = 15_000) => arrivals.next(pred, timeoutMs),
        close() {
          if (ws.readyState === ws.CLOSED) return Promise.resolve();
          return new Promise((res) => {
            ws.once('close', () => res());
            ws.close();
          });
        },
      };
      resolve(client);
    });
  });
}

/** The HTTP status of a refused upgrade (or throws if the connection opened). */
export async function refusedStatus(
  url: string,
  headers: Record<string, string> = {},
): Promise<number> {
  try {
    const c = await connect(url, headers);
    await c.close();
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (typeof status === 'number') return status;
    throw err;
  }
  throw new Error('the connection was accepted');
}
