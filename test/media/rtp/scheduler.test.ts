/**
 * The shared 20 ms clock after a stall of the event loop: missed ticks are
 * skipped, not sent in a burst; on the wire the RTP timestamp jumps while
 * sequence numbers stay consecutive, and the marker bit flags the new spurt
 * (a burst would show consecutive timestamps instead of the jump).
 * (No timing asserts beyond that: pacing quality is the benchmark's.)
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../src/media/rtp/scheduler.ts';
import { RtpPeer } from '../../support/rtp-peer.ts';
import { newEngine, sleep } from './helpers.ts';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop is stalled
  }
}

describe('scheduler', () => {
  it('handles one tick per callback and skips the ticks a stall missed', async () => {
    const calls: [tick: number, skipped: number][] = [];
    const s = new Scheduler((tick, skipped) => calls.push([tick, skipped]));
    s.start();
    expect(s.running).toBe(true);
    await sleep(70);
    block(110);
    await sleep(70);
    s.stop();
    expect(s.running).toBe(false);
    for (let i = 1; i < calls.length; i++)
      expect(calls[i]![0] - calls[i - 1]![0]).toBe(calls[i]![1] + 1);
    expect(calls.some(([, skipped]) => skipped >= 4)).toBe(true);
    expect(s.stats.skipped).toBeGreaterThanOrEqual(4);
  });

  it('after a stall a channel sends one packet, with the timestamp jumped and the marker set', async () => {
    const { engine } = newEngine();
    const ch = await engine.open();
    const peer = await RtpPeer.open();
    ch.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    await peer.waitForPackets(4);
    block(150);
    await sleep(100);
    const all = peer.received;
    const jump = all.findIndex(
      (p, i) => i > 0 && (p.timestamp - all[i - 1]!.timestamp) >>> 0 >= 6 * 160,
    );
    expect(jump).toBeGreaterThan(0);
    expect(all[jump]!.marker).toBe(true);
    expect(all[jump]!.sequence).toBe((all[jump - 1]!.sequence + 1) & 0xffff);
    await engine.close();
    await peer.close();
  });
});
