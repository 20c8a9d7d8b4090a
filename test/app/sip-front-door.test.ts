/**
 * The product's SIP front door, as outsiders meet it (one running product,
 * PGlite, embedded SIP server):
 *
 * - trunk providers health-check with OPTIONS and take the target out of
 *   service on anything but a 200: a raw UDP SIP client (dgram) asks;
 * - a flood of INVITEs the product refuses must not become a flood of log
 *   lines, and every refusal is counted on /metrics: sipp floods it.
 */
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, runSipp } from '../support/sipp.ts';
import {
  newDataDir,
  type Product,
  removeDataDirs,
  startProduct,
  TOKEN,
} from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const flowScenario = (name: string) => path.join(here, '../calls/flow/scenarios', `${name}.xml`);

let product: Product;
beforeAll(async () => {
  product = await startProduct({ dataDir: await newDataDir(), sipPort: await freePort() });
}, 180_000);
afterAll(async () => {
  await product?.app.close();
  await removeDataDirs();
});

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
    const response = await options(product.sipPort);
    expect(response.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
    const allow = (header(response, 'Allow') ?? '').split(/\s*,\s*/);
    expect(allow).toEqual(
      expect.arrayContaining(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER']),
    );
    expect(header(response, 'Accept')).toBe('application/sdp');
    expect(header(response, 'CSeq')).toBe('1 OPTIONS');
  });
});

async function metric(line: RegExp): Promise<number> {
  const res = await fetch(`${product.app.httpUrl}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const m = line.exec(await res.text());
  return m ? Number(m[1]) : 0;
}

describe('a flood of refused INVITEs', () => {
  it('writes one log line for the address, and counts every refusal in a metric', async () => {
    const before = product.logLines().length;
    const flood = 300;
    // From the trunk's address, to a number nobody configured: 404 each.
    const res = await runSipp({
      scenario: flowScenario('caller-expect-404'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: product.sipPort },
      service: '4930999',
      calls: flood,
      rate: 300,
      timeoutSeconds: 60,
    });
    assertSippPassed(res, 'flooding caller');
    const refusedLines = product
      .logLines()
      .slice(before)
      .filter((l) => String(l.msg).startsWith('inbound: refused'));
    expect(refusedLines).toHaveLength(1);
    expect(refusedLines[0]).toMatchObject({
      source: '127.0.0.1',
      status: 404,
      why: 'unknown-number',
    });
    expect(await metric(/^acd_sip_invites_refused_total\{reason="unknown-number"\} (\d+)$/m)).toBe(
      flood,
    );
  }, 120_000);
});
