/**
 * Connected UDP sockets ("flows"), one per destination that has a client
 * transaction in progress, so that an ICMP port unreachable for a request we
 * send is noticed at once, as drachtio-server notices it (it answers the app
 * with a local 503 within milliseconds instead of a 408 after 64*T1).
 *
 * Linux reports ICMP errors only to connected UDP sockets (or through
 * IP_RECVERR's error queue, which Node does not expose). A flow is therefore a
 * socket bound to the SIP socket's own address and port (both carry
 * SO_REUSEADDR) and connected to the destination:
 *
 * - requests leave from the SIP port, as before: a phone behind NAT still sees
 *   them come from the address its pinhole was opened to, and nothing extra
 *   goes on the wire;
 * - the kernel hands datagrams from that destination to the connected socket
 *   (its match is more specific), so the flow reads them and passes them on
 *   as if the SIP socket had received them;
 * - an ICMP port unreachable for anything we sent to the destination sets
 *   ECONNREFUSED on the flow, reported through `onUnreachable`.
 *
 *   connecting --bound and connected--> open --last release--> closed
 *   connecting --bind/connect error--> broken (sends fall back to the SIP socket)
 *
 * Each flow is closed when its last holder releases it; datagrams sent while
 * it connects are queued and then sent through it (or, when it broke, through
 * the SIP socket).
 */
import dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { Counters } from '../shared/stats.ts';

type FlowState = 'connecting' | 'open' | 'broken' | 'closed';

interface Flow {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly sock: dgram.Socket;
  state: FlowState;
  /** Datagrams waiting for the socket to be bound and connected (state 'connecting' only). */
  queue: Buffer[];
  users: number;
}

export interface UdpFlowEvents {
  /** A datagram from the flow's destination (treat it as received on the SIP socket). */
  onMessage(data: Buffer, rinfo: dgram.RemoteInfo): void;
  /** The destination answered with ICMP port unreachable. */
  onUnreachable(address: string, port: number): void;
  /** A datagram the flow could not take: send it through the SIP socket. */
  fallback(buf: Buffer, address: string, port: number): void;
}

export class UdpFlows {
  private readonly flows = new Map<string, Flow>();

  constructor(
    /** The SIP socket's bound address and port, which every flow shares. */
    private readonly host: string,
    private readonly port: number,
    private readonly ipv6: boolean,
    private readonly counters: Counters,
    private readonly events: UdpFlowEvents,
    private readonly log: Logger | undefined,
  ) {}

  /** Holds the flow to `address:port`, opening it if needed; call the result once to release. */
  hold(address: string, port: number): () => void {
    const key = `${address}:${port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      flow = this.open(key, address, port);
      this.flows.set(key, flow);
    }
    flow.users++;
    const held = flow;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0) void this.close(held);
    };
  }

  /** Sends through the flow to `address:port`; false when there is none (use the SIP socket). */
  send(buf: Buffer, address: string, port: number): boolean {
    const flow = this.flows.get(`${address}:${port}`);
    if (!flow) return false;
    if (flow.state === 'connecting') {
      flow.queue.push(buf);
      return true;
    }
    if (flow.state !== 'open') return false;
    flow.sock.send(buf, (err) => {
      if (err) this.onError(flow, err);
    });
    return true;
  }

  /** Closes every flow (server shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.flows.values()].map((f) => this.close(f)));
  }

  private open(key: string, address: string, port: number): Flow {
    const sock = dgram.createSocket({ type: this.ipv6 ? 'udp6' : 'udp4', reuseAddr: true });
    const flow: Flow = { key, address, port, sock, state: 'connecting', queue: [], users: 0 };
    this.counters.udpFlows++;
    sock.on('error', (err) => this.onError(flow, err));
    sock.on('message', (data, rinfo) => this.events.onMessage(data, rinfo));
    sock.bind(this.port, this.host, () => {
      if (flow.state !== 'connecting') return;
      // A busy destination (a trunk) has its flow open for as long as calls
      // go there: its answers need the SIP socket's large buffers too.
      try {
        sock.setRecvBufferSize(4 * 1024 * 1024);
        sock.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        // Not fatal: the system limit may be lower.
      }
      sock.connect(port, address, (err?: Error) => {
        if (flow.state !== 'connecting') return;
        if (err) {
          this.onError(flow, err);
          return;
        }
        flow.state = 'open';
        this.drain(flow);
      });
    });
    return flow;
  }

  /** Sends what was queued while connecting: through the flow if open, else the SIP socket. */
  private drain(flow: Flow): void {
    const queue = flow.queue;
    flow.queue = [];
    for (const buf of queue) {
      if (!this.send(buf, flow.address, flow.port))
        this.events.fallback(buf, flow.address, flow.port);
    }
  }

  private onError(flow: Flow, err: NodeJS.ErrnoException): void {
    if (flow.state === 'open' && err.code === 'ECONNREFUSED') {
      this.events.onUnreachable(flow.address, flow.port);
      return;
    }
    if (flow.state === 'connecting') {
      // Could not share the SIP port (or connect): this destination goes
      // without a flow, i.e. without unreachable detection.
      this.log?.debug({ err, to: flow.key }, 'udp flow not opened; sending unconnected');
      flow.state = 'broken';
      this.drain(flow);
      return;
    }
    this.log?.debug({ err, to: flow.key }, 'udp flow error');
  }

  private close(flow: Flow): Promise<void> {
    if (flow.state === 'closed') return Promise.resolve();
    flow.state = 'closed';
    this.drain(flow);
    if (this.flows.get(flow.key) === flow) this.flows.delete(flow.key);
    this.counters.udpFlows--;
    return new Promise((resolve) => {
      try {
        flow.sock.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
