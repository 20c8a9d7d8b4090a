/**
 * Trunk providers health-check the product with OPTIONS and take it out of
 * service on anything but a 200. A raw UDP SIP client (dgram) asks the
 * running product, as a provider's pinger would.
 */
import dgram from 'node:dgram';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { newDataDir, type Product, removeDataDirs, startProduct } from './support/product.ts';

const running: Product[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.app.close()));
});
afterAll(() => removeDataDirs());

/** Sends one OPTIONS from a fresh UDP socket and resolves with the first response. */
async function options(sipPort: number): Promise<string> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const local = socket.address().port;
  const branch = `z9hG4bK-${Math.random().toString(36).slice(2)}`;
  const request = [
    `OPTIONS sip:127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:pinger@127.0.0.1:${local}>;tag=ping1`,
    `To: <sip:127.0.0.1:${sipPort}>`,
    `Call-ID: options-${branch}`,
    'CSeq: 1 OPTIONS',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to OPTIONS within 5 s')), 5000);
      socket.on('message', (msg) => {
        clearTimeout(timer);
        resolve(msg.toString('utf8'));
      });
      socket.send(request, sipPort, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

function header(response: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'im');
  return re.exec(response)?.[1]?.trim();
}

describe('OPTIONS to the product', () => {
  it('is answered 200 with Allow and Accept while the app is up', async () => {
    const p = await startProduct({ dataDir: await newDataDir(), sipPort: await freePort() });
    running.push(p);
    const response = await options(p.sipPort);
    expect(response.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
    const allow = (header(response, 'Allow') ?? '').split(/\s*,\s*/);
    expect(allow).toEqual(
      expect.arrayContaining(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER']),
    );
    expect(header(response, 'Accept')).toBe('application/sdp');
    expect(header(response, 'CSeq')).toBe('1 OPTIONS');
  }, 120_000);
});
