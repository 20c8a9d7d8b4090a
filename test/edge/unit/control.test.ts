/** Control port handshake (drachtio-wire.md §2, §9.1) with a raw TCP client. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../src/edge/wire/framing.ts';
import { cleanup, sipPort, startServer } from './harness.ts';

afterEach(cleanup);

class RawApp {
  private readonly decoder = new FrameDecoder();
  readonly frames: string[] = [];
  closed = false;
  private wake: (() => void) | undefined;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.frames.push(...this.decoder.push(c).frames);
      this.wake?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }
  static connect(port: number): Promise<RawApp> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawApp(s)));
      s.once('error', reject);
    });
  }
  send(payload: string): void {
    this.sock.write(encodeFrame(payload));
  }
  async next(n: number): Promise<string> {
    const end = Date.now() + 3000;
    while (this.frames.length < n && !this.closed && Date.now() < end) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    const f = this.frames[n - 1];
    if (f === undefined) throw new Error(`no frame #${n}; closed=${this.closed}`);
    return f;
  }
}

describe('control port', () => {
  it('authenticate with an empty tags token answers OK with hostports and a v0.9 version', async () => {
    const server = await startServer(undefined, ['udp', 'tcp']);
    const app = await RawApp.connect(server.controlAddress.port);
    app.send('a-01|authenticate|cymru|');
    const t = (await app.next(1)).split('|');
    const port = sipPort(server);
    expect(t[1]).toBe('response');
    expect(t[2]).toBe('a-01');
    expect(t[3]).toBe('OK');
    expect(t[4]).toBe(`udp/127.0.0.1:${port},tcp/127.0.0.1:${port}`);
    expect(t[5]).toMatch(/^v0\.9\./);
    expect(t).toHaveLength(7);
    app.send('a-02|route|invite');
    expect((await app.next(2)).split('|').slice(2)).toEqual(['a-02', 'OK']);
    app.send('a-03|ping');
    expect((await app.next(3)).split('|').slice(2)).toEqual(['a-03', 'OK', 'pong']);
    expect(server.stats().appConnections).toBe(1);
    app.sock.destroy();
  });

  it('wrong secret: NO|incorrect secret and the connection is closed', async () => {
    const server = await startServer();
    const app = await RawApp.connect(server.controlAddress.port);
    app.send('a-09|authenticate|wrong|');
    expect((await app.next(1)).split('|').slice(2)).toEqual(['a-09', 'NO', 'incorrect secret']);
    const end = Date.now() + 2000;
    while (!app.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(app.closed).toBe(true);
    expect(server.stats().appConnections).toBe(0);
  });

  it('an unknown message type gets NO|Unknown message type and the connection is closed, as on drachtio-server', async () => {
    const server = await startServer();
    const app = await RawApp.connect(server.controlAddress.port);
    app.send('a-01|authenticate|cymru|');
    expect((await app.next(1)).split('|')[3]).toBe('OK');
    expect(server.stats().appConnections).toBe(1);
    // A second frame in the same write is not read any more.
    app.sock.write(Buffer.concat([encodeFrame('a-02|frobnicate|x'), encodeFrame('a-03|ping')]));
    expect((await app.next(2)).split('|').slice(2)).toEqual(['a-02', 'NO', 'Unknown message type']);
    const end = Date.now() + 2000;
    while (!app.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(app.closed).toBe(true);
    expect(app.frames).toHaveLength(2);
    expect(server.stats().appConnections).toBe(0);
    const again = await RawApp.connect(server.controlAddress.port);
    again.send('b-01|authenticate|cymru|');
    expect((await again.next(1)).split('|')[3]).toBe('OK');
    // A frame of one token: NO|Invalid message format, and closed too.
    again.send('b-02');
    expect((await again.next(2)).split('|').slice(2)).toEqual([
      'b-02',
      'NO',
      'Invalid message format',
    ]);
    const end2 = Date.now() + 2000;
    while (!again.closed && Date.now() < end2) await new Promise((r) => setTimeout(r, 20));
    expect(again.closed).toBe(true);
  });

  it('a bad length prefix disconnects the app; the server keeps running', async () => {
    const server = await startServer();
    const app = await RawApp.connect(server.controlAddress.port);
    app.sock.write('garbage#');
    const end = Date.now() + 2000;
    while (!app.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(app.closed).toBe(true);
    const again = await RawApp.connect(server.controlAddress.port);
    again.send('b-01|authenticate|cymru|');
    expect((await again.next(1)).split('|')[3]).toBe('OK');
    again.sock.destroy();
  });

  it('a response frame for an unknown transaction gets NOK "Response not sent due to unknown transaction"', async () => {
    const server = await startServer();
    const app = await RawApp.connect(server.controlAddress.port);
    app.send('a-01|authenticate|cymru|');
    await app.next(1);
    app.send('a-40|sip|t-gone|\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect((await app.next(2)).split('|').slice(2)).toEqual([
      'a-40',
      'NOK',
      'Response not sent due to unknown transaction',
    ]);
    app.send('a-41|sip||x;from-tag=y\r\nBYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    expect(await app.next(3)).toMatch(/\|NOK\|Server error: unable to find dialog/);
    app.sock.destroy();
  });
});
