/**
 * The engine side of the media benchmark: N channels of one RtpEngine, each
 * playing the same looped music list to a receiver. Runs on the benchmark's
 * main thread or, with --worker, on a worker thread (engine-worker.ts).
 */
import { performance } from 'node:perf_hooks';
import { prioritiseThisThread } from '../../src/edge/thread/thread-scheduling.ts';
import { RtpEngine } from '../../src/media/rtp/index.ts';
import type { RtpChannel } from '../../src/media/rtp/index.ts';

export interface HostStats {
  channels: number;
  skippedTicks: number;
  /** Tick callbacks more than 2 ms late, of all ticks, in the window. */
  lateTicks: number;
  ticks: number;
  packetsOut: number;
  /** CPU time of this process since the last stats call, ms (user + system). */
  cpuMs: number;
  wallMs: number;
}

export class EngineHost {
  readonly #engine: RtpEngine;
  #channels: RtpChannel[] = [];
  #cpu = process.cpuUsage();
  #wall = performance.now();
  #skipped = 0;
  #late = 0;
  #ticks = 0;

  constructor(ports: { min: number; max: number }) {
    this.#engine = new RtpEngine({ address: '127.0.0.1', ports });
  }

  async open(n: number, targets: number[], music: string[]): Promise<void> {
    for (let i = 0; i < n; i++) {
      const ch = await this.#engine.open();
      ch.setRemote({
        address: '127.0.0.1',
        port: targets[i % targets.length]!,
        codec: i % 2 ? 'PCMA' : 'PCMU',
        payloadType: i % 2 ? 8 : 0,
      });
      // Start each caller at a different point of the list, as real callers would be.
      const rotated = [...music.slice(i % music.length), ...music.slice(0, i % music.length)];
      ch.play({ kind: 'files', paths: rotated, loop: true }).catch(() => undefined);
      this.#channels.push(ch);
    }
  }

  /** Resets the CPU and lateness counters: the measurement window starts. */
  mark(): void {
    this.#cpu = process.cpuUsage();
    this.#wall = performance.now();
    this.#skipped = this.#engine.schedulerStats.skipped;
    this.#late = this.#engine.schedulerStats.lateTicks;
    this.#ticks = this.#engine.schedulerStats.ticks;
  }

  /** Asks for real-time scheduling of this thread (see src/edge/thread/thread-scheduling.ts). */
  async prioritise(priority: number): Promise<string> {
    const got = await prioritiseThisThread(priority);
    return got.got;
  }

  stats(): HostStats {
    const cpu = process.cpuUsage(this.#cpu);
    return {
      channels: this.#engine.openChannels,
      skippedTicks: this.#engine.schedulerStats.skipped - this.#skipped,
      lateTicks: this.#engine.schedulerStats.lateTicks - this.#late,
      ticks: this.#engine.schedulerStats.ticks - this.#ticks,
      packetsOut: this.#channels.reduce((s, c) => s + c.stats.packetsOut, 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - this.#wall,
    };
  }

  async closeAll(): Promise<{ portsInUse: number; timers: number }> {
    await Promise.all(this.#channels.map((c) => c.close()));
    this.#channels = [];
    return { portsInUse: this.#engine.portsInUse, timers: this.#engine.timers };
  }
}
