/**
 * Time and identifiers come into the server from outside: with a manual
 * clock the RFC 3261 timers run at their real values (T1 = 500 ms, Timer F
 * = 32 s) without the test waiting for them, and the ids it writes come from
 * the id source it was given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RandomIds } from '../../../src/edge/shared/ids.ts';
import { EdgeServer } from '../../../src/edge/server.ts';
import { getHeader, topVia } from '../../../src/edge/sip/index.ts';
import { newCounters } from '../../../src/edge/shared/stats.ts';
import type { Clock } from '../../../src/edge/shared/timers.ts';
import { cleanup, connectSrf, eventually, openPeer } from './harness.ts';
import { ManualClock } from './manual-clock.ts';
import { isRequest } from './peer.ts';

afterEach(cleanup);

/** Ids with a recognisable branch, the rest random. */
class MarkedIds extends RandomIds {
  private n = 0;
  override branch(): string {
    return `z9hG4bK-marked-${++this.n}`;
  }
}

async function start(clock: Clock): Promise<EdgeServer> {
  const server = new EdgeServer(
    {
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      control: { host: '127.0.0.1', port: 0 },
      secret: 'cymru',
    },
    newCounters(),
    { clock, ids: new MarkedIds(clock) },
  );
  await server.start();
  return server;
}

describe('injected clock and ids', () => {
  it('Timer E retransmits and Timer F gives up after 64*T1 of clock time, at once', async () => {
    const clock = new ManualClock();
    const server = await start(clock);
    try {
      const srf = await connectSrf(server);
      const peer = await openPeer();
      const status = new Promise<number>((resolve, reject) => {
        srf.request(`sip:bob@127.0.0.1:${peer.port}`, { method: 'OPTIONS' }, (err, req) => {
          if (err) reject(err);
          else req.on('response', (res) => resolve(res.status));
        });
      });
      const first = await peer.waitFor(isRequest('OPTIONS'));
      expect(topVia(first.msg)?.branch).toBe('z9hG4bK-marked-1');
      expect(getHeader(first.msg, 'cseq')).toBe(`${Math.floor(1_000_000 / 100) + 1} OPTIONS`);
      // Timer E: T1 = 500 ms of clock time, not of the test's.
      clock.advance(499);
      clock.advance(1);
      await eventually(() => peer.received.length === 2);
      // Timer F at 64*T1 = 32 s: a local 408 for the app, nothing left armed.
      clock.advance(32_000);
      expect(await status).toBe(408);
      expect(server.stats().unansweredRequests).toBe(0);
      clock.advance(10_000);
      expect(server.stats().timers).toBe(0);
      expect(clock.pending).toBe(0);
    } finally {
      await server.close();
    }
  });
});
