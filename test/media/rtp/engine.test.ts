/**
 * Resource accounting of the engine: even RTP ports with RTCP above, ports
 * back in the pool after close, a clear error when the range is exhausted,
 * one shared timer only while channels are open, idempotent close.
 */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { RtpEngine } from '../../../src/media/rtp/index.ts';
import { portBlock } from './helpers.ts';

function bindUdp(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

describe('RtpEngine', () => {
  it('binds even ports with the odd port above for RTCP, and gives them back on close', async () => {
    const range = portBlock(40);
    const engine = new RtpEngine({ address: '127.0.0.1', ports: range });
    expect(engine.timers).toBe(0);
    const channels = await Promise.all(Array.from({ length: 5 }, () => engine.open()));
    const ports = channels.map((c) => c.localPort);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) {
      expect(p % 2).toBe(0);
      expect(p).toBeGreaterThanOrEqual(range.min);
      expect(p + 1).toBeLessThanOrEqual(range.max);
      await expect(bindUdp(p + 1)).rejects.toThrow(/EADDRINUSE/); // RTCP port held too
    }
    expect(engine.openChannels).toBe(5);
    expect(engine.portsInUse).toBe(5);
    expect(engine.timers).toBe(1); // one scheduler for all

    const first = channels[0]!;
    const closing = first.close();
    expect(first.close()).toBe(closing); // idempotent
    await closing;
    await first.close();
    expect(engine.openChannels).toBe(4);
    expect(engine.portsInUse).toBe(4);
    const freed = await bindUdp(first.localPort); // really released
    freed.close();

    await engine.close();
    await engine.close();
    expect(engine.openChannels).toBe(0);
    expect(engine.portsInUse).toBe(0);
    expect(engine.timers).toBe(0);
    await expect(engine.open()).rejects.toThrow(/closed/);
  });

  it('rejects clearly when the range is exhausted, and skips ports someone else holds', async () => {
    const range = portBlock(6); // three pairs
    const squatter = await bindUdp(range.min + (range.min % 2)); // the first pair's RTP port
    const engine = new RtpEngine({ address: '127.0.0.1', ports: range });
    const a = await engine.open();
    const b = await engine.open();
    expect([a.localPort, b.localPort]).not.toContain(range.min + (range.min % 2));
    await expect(engine.open()).rejects.toThrow(/no free RTP port in \d+-\d+ \(2 of 3 pairs in use\)/);
    expect(engine.portsInUse).toBe(2);
    await a.close();
    const c = await engine.open();
    expect(c.localPort).toBe(a.localPort);
    await engine.close();
    squatter.close();
    expect(engine.portsInUse).toBe(0);
  });

  it('refuses a range without a port pair', () => {
    expect(() => new RtpEngine({ address: '127.0.0.1', ports: { min: 5000, max: 5000 } })).toThrow(RangeError);
    expect(() => new RtpEngine({ address: '127.0.0.1', ports: { min: 5001, max: 5002 } })).toThrow(/no even\/odd pair/);
  });

  it('opening and closing many channels leaks nothing', async () => {
    const engine = new RtpEngine({ address: '127.0.0.1', ports: portBlock(40) });
    for (let round = 0; round < 10; round++) {
      const chans = await Promise.all(Array.from({ length: 10 }, () => engine.open()));
      for (const ch of chans) ch.setRemote({ address: '127.0.0.1', port: 9, codec: 'PCMU', payloadType: 0 });
      const played = chans.map((ch) => ch.play({ kind: 'silence', durationMs: 10_000 }));
      await Promise.all(chans.map((ch) => ch.close()));
      expect(await Promise.all(played)).toEqual(chans.map(() => 'stopped'));
      expect(engine.openChannels).toBe(0);
      expect(engine.portsInUse).toBe(0);
      expect(engine.timers).toBe(0);
    }
    await engine.close();
  });
});
