/**
 * A TCP relay between a client and a server that a test can freeze: while
 * frozen, bytes stop flowing both ways and new connections hang, without any
 * socket closing. That is what a cut network cable looks like to both ends
 * (no FIN, no RST), unlike killing a process.
 *
 *   const proxy = await startTcpProxy('127.0.0.1', pgPort);
 *   // connect the client to 127.0.0.1:proxy.port
 *   proxy.freeze();  ...  proxy.thaw();
 *   await proxy.close();   // closes every relayed connection and the listener
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
  /** Connections relayed since the start (open or closed). */
  readonly connections: number;
}

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  let frozen = false;
  let connections = 0;
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(port, host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (d) => {
      if (!frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!frozen) client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    get connections() {
      return connections;
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
