/**
 * Free port allocation on 127.0.0.1 for tests that start SIP peers (sipp,
 * the embedded server, raw sockets).
 *
 * A port is handed out only when the same number is free for both UDP and
 * TCP (SIP listens on both). Parallel vitest workers each draw from their own
 * block of ports below the kernel's ephemeral range (which starts at 32768),
 * so two workers never pick the same number and the kernel never hands one of
 * ours to an outgoing socket in the meantime.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const BLOCK_SIZE = 700;
const FIRST_PORT = 20_000;
const BLOCKS = 16;

function workerIndex(): number {
  const raw = process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '';
  const n = Number.parseInt(raw, 10);
  // Outside vitest (the benchmark) the process id spreads concurrent runs.
  return Number.isFinite(n) ? n % BLOCKS : process.pid % BLOCKS;
}

const blockStart = FIRST_PORT + workerIndex() * BLOCK_SIZE;
let cursor = Math.floor(Math.random() * BLOCK_SIZE);

function canBindTcp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function canBindUdp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/** True when something already listens on `port` for UDP (used to see that sipp is up). */
export async function udpPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return !(await canBindUdp(port, host));
}

/** True when something accepts TCP connections on `port`. */
export function tcpPortListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port number free on 127.0.0.1 for both UDP and TCP. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < BLOCK_SIZE; attempt++) {
    cursor = (cursor + 1) % BLOCK_SIZE;
    const port = blockStart + cursor;
    if ((await canBindTcp(port, host)) && (await canBindUdp(port, host))) return port;
  }
  throw new Error(`no free UDP+TCP port in ${blockStart}-${blockStart + BLOCK_SIZE - 1}`);
}

/** Several distinct free ports. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort(host));
  return ports;
}
