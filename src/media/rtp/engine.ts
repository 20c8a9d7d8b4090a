/**
 * The RTP engine: a port pool, the decoded-audio cache and one scheduler that
 * paces every channel. The scheduler runs only while a channel is open, so an
 * idle engine holds no timer.
 */
import { AudioCache } from '../audio/cache.ts';
import { Channel } from './channel.ts';
import { PortPool } from './port-pool.ts';
import { Scheduler, type SchedulerStats } from './scheduler.ts';
import type { RtpChannel, RtpEngineOptions } from './types.ts';

type Life = 'open' | 'closing' | 'closed';

export class RtpEngine {
  readonly #opts: RtpEngineOptions;
  readonly #pool: PortPool;
  readonly #cache: AudioCache;
  readonly #channels = new Set<Channel>();
  readonly #scheduler: Scheduler;
  #life: Life = 'open';
  #closed: Promise<void> | undefined;

  constructor(opts: RtpEngineOptions) {
    this.#opts = opts;
    this.#pool = new PortPool(opts.address, opts.ports.min, opts.ports.max);
    this.#cache = new AudioCache(opts.cacheBytes);
    this.#scheduler = new Scheduler(this.#tick);
  }

  /** Binds a free even port in the range (RTCP on the odd one above); rejects clearly when exhausted. */
  async open(): Promise<RtpChannel> {
    if (this.#life !== 'open') throw new Error('RTP engine is closed');
    const pair = await this.#pool.acquire();
    if (this.#life !== 'open') {
      pair.rtp.close();
      pair.rtcp.close();
      this.#pool.release(pair.port);
      throw new Error('RTP engine is closed');
    }
    const channel = new Channel({
      pair,
      cache: this.#cache,
      log: this.#opts.log,
      currentTick: () => this.#scheduler.tick,
      released: (ch) => {
        this.#channels.delete(ch);
        this.#pool.release(ch.localPort);
        if (this.#channels.size === 0) this.#scheduler.stop();
      },
    });
    this.#scheduler.start();
    this.#channels.add(channel);
    return channel;
  }

  /** Channels open (or closing) now, for leak checks. */
  get openChannels(): number {
    return this.#channels.size;
  }

  /** RTP port pairs bound now (each is an even RTP port plus the odd RTCP port). */
  get portsInUse(): number {
    return this.#pool.inUse;
  }

  /** Timers held: the shared scheduler's, while any channel is open. */
  get timers(): number {
    return this.#scheduler.running ? 1 : 0;
  }

  /** Tick counts, skipped ticks and worst lateness of the scheduler (benchmarks, health). */
  get schedulerStats(): Readonly<SchedulerStats> {
    return this.#scheduler.stats;
  }

  /** The decoded-audio cache (shared by every channel). */
  get cache(): AudioCache {
    return this.#cache;
  }

  /** Closes every channel; idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#life = 'closing';
      await Promise.all([...this.#channels].map((ch) => ch.close()));
      this.#scheduler.stop();
      this.#life = 'closed';
    })();
    return this.#closed;
  }

  readonly #tick = (tick: number, skipped: number): void => {
    // Two phases: every channel takes its received frame before any sends,
    // so a bridged partner relays this tick's audio whichever comes first.
    for (const ch of this.#channels) ch.takeInbound(skipped);
    for (const ch of this.#channels) {
      try {
        ch.produce(tick, skipped);
      } catch (err) {
        this.#opts.log?.warn(
          { port: ch.localPort, err: String(err) },
          'rtp: producing a frame failed',
        );
      }
    }
  };
}
