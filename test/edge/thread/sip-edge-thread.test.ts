/**
 * The embedded SIP server on its own worker thread (sip-edge-thread.ts): real
 * UDP and TCP sockets on loopback, drachtio-srf connecting to the control
 * port, the app's logger capturing what the thread logs.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/app/runtime/logger.ts';
import {
  type SipServerThread,
  startSipServerThread,
} from '../../../src/edge/thread/sip-edge-thread.ts';
import {
  currentPolicy,
  currentSliceNs,
  SCHED_RR,
  SHORT_SLICE_NS,
} from '../../../src/edge/thread/thread-scheduling.ts';
import { monotonicMs } from '../../../src/edge/index.ts';
import { captureLogs } from '../../api/support/harness.ts';
import { customSlicesPossible, realtimePossible } from '../../support/kernel.ts';

const SECRET = 'thread-test-secret';
const LOOPBACK = '127.0.0.1';

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function options(sipPort = 0) {
  return {
    listen: [
      { protocol: 'udp' as const, host: LOOPBACK, port: sipPort },
      { protocol: 'tcp' as const, host: LOOPBACK, port: sipPort },
    ],
    control: { host: LOOPBACK, port: 0 },
    secret: SECRET,
  };
}

function optionsRequest(branch: string): Buffer {
  return Buffer.from(
    `OPTIONS sip:${LOOPBACK} SIP/2.0\r\nVia: SIP/2.0/UDP ${LOOPBACK}:9;branch=z9hG4bK-${branch}\r\n` +
      `From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\n` +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  );
}

/** A UDP socket on loopback, bound to `port` (any free one when 0). */
async function udpSocket(port = 0): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(port, LOOPBACK, () => r()));
  return sock;
}

/** Sends an OPTIONS from `sock` to `port`; resolves with the first datagram that comes back. */
function ask(sock: dgram.Socket, port: number, branch: string): Promise<string> {
  const answered = new Promise<string>((r) => sock.once('message', (m) => r(m.toString())));
  sock.send(optionsRequest(branch), port, LOOPBACK);
  return answered;
}

/** An srf connected to `server`'s control port (its reconnect errors ignored). */
async function connectedSrf(server: SipServerThread): Promise<Srf> {
  const srf = new Srf();
  srf.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => srf.once('connect', () => resolve()));
  srf.connect({ ...server.controlAddress, secret: SECRET });
  await connected;
  return srf;
}

describe('embedded SIP server on a worker thread', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of open.splice(0)) await close();
  });

  async function start(
    logs: string[] = [],
    level = 'info',
    realtimePriority = 0,
  ): Promise<SipServerThread> {
    const server = await startSipServerThread(
      options(),
      createLogger({ level, destination: captureLogs(logs) }),
      { realtimePriority },
    );
    open.push(() => server.close());
    return server;
  }

  it('listens where it says, and stats() reads the thread counters live (an srf connection, a request)', async () => {
    const server = await start();
    const udp = server.sipAddresses.find((a) => a.protocol === 'udp');
    expect(udp?.port).toBeGreaterThan(0);
    expect(server.sipAddresses.find((a) => a.protocol === 'tcp')?.port).toBe(udp?.port);
    expect(server.stats()).toMatchObject({ appConnections: 0, messagesIn: 0, timers: 0 });

    const srf = await connectedSrf(server);
    await eventually(() => server.stats().appConnections === 1);
    srf.disconnect();
    await eventually(() => server.stats().appConnections === 0);

    const sock = await udpSocket();
    // No app is connected: the server itself answers.
    expect((await ask(sock, udp?.port ?? 0, 'stats')).split('\r\n')[0]).toBe(
      'SIP/2.0 503 Service Unavailable',
    );
    expect(server.stats().messagesIn).toBe(1);
    expect(server.stats().messagesOut).toBe(1);
    sock.close();
  });

  it('observeSent reports the messages of the asked methods, with a time on the shared clock', async () => {
    const server = await start();
    const port = server.sipAddresses[0]?.port ?? 0;
    const sock = await udpSocket();
    const seen: Array<{ text: string; at: number }> = [];
    const onlyInvites: string[] = [];
    const stopInvites = server.observeSent((m) => onlyInvites.push(m.toString()), ['INVITE']);
    stopInvites();
    // One observer at a time: the last one set is the one told.
    const stop = server.observeSent((m, at) => seen.push({ text: m.toString(), at }));
    await new Promise((r) => setTimeout(r, 50));
    const before = monotonicMs();
    await ask(sock, port, 'observed');
    await eventually(() => seen.length === 1);
    const after = monotonicMs();
    expect(seen[0]?.text).toMatch(/^SIP\/2\.0 503 .*z9hG4bK-observed/s);
    expect(seen[0]?.at).toBeGreaterThanOrEqual(before);
    expect(seen[0]?.at).toBeLessThanOrEqual(after);
    stop();

    // Filtered to INVITE: a response to OPTIONS is not reported.
    const invites: string[] = [];
    server.observeSent((m) => invites.push(m.toString()), ['INVITE']);
    await new Promise((r) => setTimeout(r, 50));
    await ask(sock, port, 'filtered');
    await new Promise((r) => setTimeout(r, 100));
    expect(invites).toEqual([]);
    expect(onlyInvites).toEqual([]);
    expect(seen).toHaveLength(1);
    sock.close();
  });

  it("writes the thread's log lines through the app's logger, at the app's level", async () => {
    const logs: string[] = [];
    const server = await start(logs, 'debug');
    const sock = await udpSocket();
    await ask(sock, server.sipAddresses[0]?.port ?? 0, 'logged');
    await eventually(() => logs.some((l) => l.includes('z9hG4bK-logged') && l.includes('SIP out')));
    const line = JSON.parse(logs.find((l) => l.includes('SIP out')) ?? '{}');
    expect(line).toMatchObject({ level: 'debug', service: 'open-acd' });
    sock.close();

    const quiet: string[] = [];
    const info = await start(quiet, 'info');
    const sock2 = await udpSocket();
    await ask(sock2, info.sipAddresses[0]?.port ?? 0, 'quiet');
    await new Promise((r) => setTimeout(r, 100));
    expect(quiet.filter((l) => l.includes('SIP out'))).toEqual([]);
    sock2.close();
  });

  it('a SIP port in use fails the start with its error, leaving no thread behind', async () => {
    const blocker = await udpSocket();
    const port = blocker.address().port;
    const logs: string[] = [];
    await expect(
      startSipServerThread(
        options(port),
        createLogger({ level: 'info', destination: captureLogs(logs) }),
      ),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    blocker.close();
  });

  it('close() ends the thread and frees its ports (once, however often it is called)', async () => {
    const server = await startSipServerThread(options(), createLogger({ level: 'silent' }));
    const { port } = server.controlAddress;
    const sipPort = server.sipAddresses[0]?.port ?? 0;
    const exited = new Promise<number>((r) => server.worker.once('exit', r));
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(await exited).toBe(0);
    // The ports are free again.
    const again = net.createServer();
    await new Promise<void>((r) => again.listen(port, LOOPBACK, () => r()));
    again.close();
    const udp = await udpSocket(sipPort);
    udp.close();
  });

  /** What the server's thread logged about its scheduling. */
  const schedulingLine = (logs: string[]) =>
    logs.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('SIP server thread: '));

  it("asks the kernel for real-time scheduling for the server's thread only, where the process may have it, and logs the outcome", async () => {
    const logs: string[] = [];
    const server = await start(logs, 'info', 10);
    const { scheduling } = server;
    if (realtimePossible()) {
      expect(scheduling).toMatchObject({ got: 'realtime', priority: 10 });
      const thread = scheduling.got === 'realtime' ? scheduling.thread : 0;
      // The kernel's own view of that thread, and it is not the app's thread.
      expect(currentPolicy(thread)).toEqual({ policy: SCHED_RR, priority: 10 });
      expect(thread).not.toBe(process.pid);
      expect(currentPolicy(process.pid)).toEqual({ policy: 0, priority: 0 });
      expect(schedulingLine(logs)).toMatchObject({
        level: 'info',
        msg: 'SIP server thread: real-time scheduling (SCHED_RR)',
      });
    } else {
      expect(scheduling).toMatchObject({ realtimeRefused: expect.any(String) });
      expect(schedulingLine(logs)?.scheduling.realtimeRefused).toEqual(expect.any(String));
    }
  });

  it("without a real-time priority, asks for short time slices for the server's thread only (Linux 6.12+)", async () => {
    const logs: string[] = [];
    const server = await start(logs);
    const { scheduling } = server;
    expect(scheduling).not.toHaveProperty('realtimeRefused');
    if (customSlicesPossible()) {
      expect(scheduling).toMatchObject({ got: 'short-slices', sliceNs: SHORT_SLICE_NS });
      const thread = scheduling.got === 'short-slices' ? scheduling.thread : 0;
      expect(currentSliceNs(thread)).toBe(SHORT_SLICE_NS);
      expect(currentPolicy(thread)?.policy).toBe(0);
      expect(thread).not.toBe(process.pid);
      expect(currentSliceNs(process.pid)).not.toBe(SHORT_SLICE_NS);
      expect(schedulingLine(logs)).toMatchObject({ msg: 'SIP server thread: short time slices' });
    } else {
      expect(scheduling.got).toBe('default');
      expect(schedulingLine(logs)).toMatchObject({ msg: 'SIP server thread: default scheduling' });
    }
  });

  it('a thread that ends on its own is logged and started again on the same addresses; srf reconnects', async () => {
    const logs: string[] = [];
    const server = await start(logs);
    const port = server.sipAddresses[0]?.port ?? 0;
    const srf = await connectedSrf(server);
    await eventually(() => server.stats().appConnections === 1);

    const first = server.worker;
    await first.terminate();
    await eventually(() => server.restarts === 1);
    expect(server.worker).not.toBe(first);
    const exited = logs.map((l) => JSON.parse(l)).find((l) => l.msg?.includes('thread exited'));
    expect(exited).toMatchObject({ level: 'error' });
    expect(logs.some((l) => l.includes('started again'))).toBe(true);

    // srf finds the server again at the same control address (it retries by itself).
    await eventually(() => server.stats().appConnections === 1, 20_000);
    srf.disconnect();
    // And SIP is answered on the same port.
    const sock = await udpSocket();
    expect((await ask(sock, port, 'restarted')).split('\r\n')[0]).toMatch(/^SIP\/2\.0 \d{3} /);
    sock.close();
  }, 30_000);

  it('close() during a restart waits for the new thread and ends it: its ports are free after', async () => {
    const server = await startSipServerThread(options(), createLogger({ level: 'silent' }));
    const sipPort = server.sipAddresses[0]?.port ?? 0;
    const { port } = server.controlAddress;
    await server.worker.terminate();
    // The restart begins after 500 ms and takes a few hundred: close while it is under way.
    await new Promise((r) => setTimeout(r, 600));
    await server.close();
    const tcp = net.createServer();
    await new Promise<void>((r) => tcp.listen(port, LOOPBACK, () => r()));
    tcp.close();
    const udp = await udpSocket(sipPort);
    udp.close();
  });
});
