/**
 * Composition of the embedded server: transports, transaction layer, SIP
 * core and the drachtio control port.
 */
import type { Logger } from 'pino';
import { type Counters, newCounters } from './shared/stats.ts';
import { RandomIds, type SipIds } from './shared/ids.ts';
import {
  type Clock,
  monotonicMs,
  systemClock,
  TimerSource,
  type TimerValues,
} from './shared/timers.ts';
import { Transport } from './transport/transport.ts';
import { TxnLayer } from './txn/layer.ts';
import type {
  BoundAddress,
  EdgeStats,
  EmbeddedSipServer,
  EmbeddedSipServerOptions,
  SentObserver,
  SipListen,
} from './shared/types.ts';
import { SipCore } from './ua/core.ts';
import { ControlServer } from './wire/control.ts';

const DEFAULT_LISTEN: SipListen[] = [
  { protocol: 'udp', host: '0.0.0.0', port: 5060 },
  { protocol: 'tcp', host: '0.0.0.0', port: 5060 },
];

export function resolveTimers(t: EmbeddedSipServerOptions['timers'] = {}): TimerValues {
  const t1 = t.t1Ms ?? 500;
  return { t1, t2: t.t2Ms ?? 4000, t4: t.t4Ms ?? 5000, t64: 64 * t1, timerC: t.timerCMs ?? 185000 };
}

export class EdgeServer implements EmbeddedSipServer {
  private readonly transport: Transport;
  private readonly layer: TxnLayer;
  private readonly core: SipCore;
  private readonly control: ControlServer;
  private readonly log: Logger | undefined;
  private closed = false;

  /**
   * `counters`: where to count (a worker thread passes counters over shared
   * memory); `sources`: where time and identifiers come from (the system
   * clock and random ids unless a test passes its own).
   */
  constructor(
    private readonly options: EmbeddedSipServerOptions,
    private readonly counters: Counters = newCounters(),
    sources: { clock?: Clock; ids?: SipIds } = {},
  ) {
    if (!options.secret) throw new TypeError('startSipServer: options.secret is required');
    this.log = options.logger;
    const clock = sources.clock ?? systemClock;
    const ids = sources.ids ?? new RandomIds(clock);
    const timerSource = new TimerSource(this.counters, clock);
    if (this.log) {
      const log = this.log;
      timerSource.onError = (err) => log.error({ err }, 'error in SIP timer');
    }
    const timers = resolveTimers(options.timers);
    const listen = options.listen ?? DEFAULT_LISTEN;
    if (listen.length === 0)
      throw new TypeError('startSipServer: options.listen must not be empty');
    // The core needs the transport and the transport delivers to the core: late binding.
    let core: SipCore | undefined;
    this.transport = new Transport(
      listen,
      options.advertisedAddress,
      this.counters,
      {
        onMessage: (inb) => core?.onNetworkMessage(inb),
        onConnectFailed: (remote) => this.layer.connectFailed(remote),
      },
      this.log,
    );
    this.layer = new TxnLayer(this.transport, timers, this.counters, timerSource, ids);
    let control: ControlServer | undefined;
    this.core = new SipCore(
      this.transport,
      this.layer,
      this.counters,
      timers,
      timerSource,
      ids,
      () => control as ControlServer,
      this.log,
    );
    core = this.core;
    this.control = new ControlServer(
      this.counters,
      options.secret,
      this.core,
      () => this.hostports(),
      this.log,
      ids.wireIds(),
    );
    control = this.control;
  }

  async start(): Promise<void> {
    await this.transport.start();
    const c = this.options.control ?? { host: '127.0.0.1', port: 9022 };
    try {
      await this.control.listen(c.host, c.port);
    } catch (err) {
      await this.transport.close();
      throw err;
    }
  }

  get sipAddresses(): BoundAddress[] {
    return this.transport.bound;
  }

  get controlAddress(): { host: string; port: number } {
    return { ...this.control.address };
  }

  stats(): EdgeStats {
    return this.counters.snapshot();
  }

  observeSent(observer: SentObserver, methods?: string[]): () => void {
    const starts = methods?.map((m) => Buffer.from(`${m} `, 'latin1'));
    const told = (message: Buffer) => {
      if (!starts || starts.some((s) => message.subarray(0, s.length).equals(s))) {
        observer(message, monotonicMs());
      }
    };
    this.transport.sentObserver = told;
    return () => {
      if (this.transport.sentObserver === told) this.transport.sentObserver = null;
    };
  }

  private hostports(): { external: string; local: string } {
    const ext = this.transport.locals
      .map((l) => `${l.protocol}/${l.advertised}:${l.port}`)
      .join(',');
    const local = this.transport.locals.map((l) => `${l.protocol}/${l.host}:${l.port}`).join(',');
    return { external: ext, local };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.core.close();
    this.layer.closeAll();
    await this.control.close();
    await this.transport.close();
  }
}
