/**
 * RTP port pairs: an even port for RTP and the odd one above it for RTCP.
 * Ports are handed out round-robin, so a port just freed is the last to be
 * reused (late packets of an old call do not land in a new one).
 */
import dgram from 'node:dgram';

export interface PortPair {
  port: number;
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
}

export class PortPool {
  readonly #address: string;
  readonly #first: number;
  readonly #count: number;
  readonly #inUse = new Set<number>();
  #cursor = 0;

  constructor(address: string, min: number, max: number) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min >= max) {
      throw new RangeError(`RTP port range ${min}-${max} is not valid`);
    }
    this.#address = address;
    this.#first = min + (min % 2);
    this.#count = Math.max(0, Math.floor((max - this.#first + 1) / 2));
    if (this.#count === 0)
      throw new RangeError(`RTP port range ${min}-${max} holds no even/odd pair`);
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  get capacity(): number {
    return this.#count;
  }

  /** Binds the next free pair; rejects when every pair is taken or unbindable. */
  async acquire(): Promise<PortPair> {
    for (let tried = 0; tried < this.#count; tried++) {
      const port = this.#first + 2 * this.#cursor;
      this.#cursor = (this.#cursor + 1) % this.#count;
      if (this.#inUse.has(port)) continue;
      this.#inUse.add(port); // reserved while binding, so concurrent acquires skip it
      const pair = await this.#bindPair(port);
      if (pair) return pair;
      this.#inUse.delete(port);
    }
    const last = this.#first + 2 * this.#count - 1;
    throw new Error(
      `no free RTP port in ${this.#first}-${last} (${this.#inUse.size} of ${this.#count} pairs in use)`,
    );
  }

  /** Gives a port back (its sockets are closed by the owner). */
  release(port: number): void {
    this.#inUse.delete(port);
  }

  async #bindPair(port: number): Promise<PortPair | undefined> {
    const rtp = await this.#bind(port);
    if (!rtp) return undefined;
    const rtcp = await this.#bind(port + 1);
    if (!rtcp) {
      rtp.close();
      return undefined;
    }
    return { port, rtp, rtcp };
  }

  #bind(port: number): Promise<dgram.Socket | undefined> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket(this.#address.includes(':') ? 'udp6' : 'udp4');
      const onError = () => {
        socket.close();
        resolve(undefined);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.#address, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }
}

/** Closes a socket of a pair (an already closed one counts as closed). */
export function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
