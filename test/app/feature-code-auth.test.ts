/**
 * Feature codes act on an agent, so the agent must prove who they are: an
 * INVITE to *51 / *52 is challenged with digest (407), as REGISTER is, and a
 * datagram forged to come from the agent's registered address and port
 * changes nothing. The product runs as `npm start` runs it (embedded SIP
 * server, PGlite), with sipp as the agent's softphone (it answers the 407
 * with Proxy-Authorization) and a raw UDP socket as the forger.
 */
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, countInTrace, describeSipp, runSipp } from '../support/sipp.ts';
import {
  newDataDir,
  type Product,
  removeDataDirs,
  startProduct,
  stopProducts,
} from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);

let product: Product | undefined;
let sipPort = 0;

beforeAll(async () => {
  sipPort = await freePort();
  // Callers from 127.0.0.1 are a trunk: a trunk address must not vouch for feature codes.
  product = await startProduct({ dataDir: await newDataDir(), sipPort, logLevel: 'warn' });
}, 180_000);

afterAll(async () => {
  await stopProducts();
  await removeDataDirs();
}, 60_000);

function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  return product!.api<T>(method, p, body);
}

/** One INVITE datagram from `localPort`, as a forger would send it; resolves with the status line received. */
function forgedInvite(localPort: number, code: string, user: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no answer to the forged INVITE'));
    }, 10_000);
    socket.on('message', (msg) => {
      const first = msg.toString('utf8').split('\r\n', 1)[0] ?? '';
      if (/^SIP\/2\.0 1\d\d/.test(first)) return;
      clearTimeout(timer);
      socket.close();
      resolve(first);
    });
    socket.bind(localPort, '127.0.0.1', () => {
      const sdp =
        'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
      const invite = [
        `INVITE sip:${code}@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bKforged${Date.now()}`,
        `From: <sip:${user}@127.0.0.1>;tag=forged`,
        `To: <sip:${code}@127.0.0.1:${sipPort}>`,
        `Call-ID: forged-${Date.now()}@127.0.0.1`,
        'CSeq: 1 INVITE',
        `Contact: <sip:${user}@127.0.0.1:${localPort}>`,
        'Max-Forwards: 70',
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n');
      socket.send(invite, sipPort, '127.0.0.1');
    });
  });
}

describe('feature codes need the agent’s digest credentials', () => {
  it('a forged datagram from the agent’s registered address is challenged and changes nothing; the phone answering the 407 sets the status', async () => {
    const username = '3001';
    const password = 'pw-3001-secret';
    const agent = await api<{ id: string }>('POST', '/agents', {
      name: 'Forgery Target',
      sipUsername: username,
      password,
      status: 'available',
      mayChangeOwnStatus: true,
    });
    const phonePort = await freePort();
    const registered = await runSipp({
      scenario: scenario('agent-register'),
      localPort: phonePort,
      remote: { host: '127.0.0.1', port: sipPort },
      service: username,
      extraArgs: ['-au', username, '-ap', password],
      timeoutSeconds: 15,
    });
    assertSippPassed(registered, 'REGISTER');

    // The forger sends from the very address and port the phone registered from.
    expect(await forgedInvite(phonePort, '*52', username)).toMatch(/^SIP\/2\.0 407 /);
    expect((await api<{ status: string }>('GET', `/agents/${agent.id}`)).status).toBe('available');

    const wrong = await runSipp({
      scenario: scenario('caller-feature-code-auth'),
      localPort: phonePort,
      remote: { host: '127.0.0.1', port: sipPort },
      service: '*52',
      keys: { agent: username },
      // sipp's digest uri is remote_ip:port unless told; phones use the Request-URI.
      extraArgs: [
        '-au',
        username,
        '-ap',
        'not-the-password',
        '-auth_uri',
        `*52@127.0.0.1:${sipPort}`,
      ],
      timeoutSeconds: 10,
    });
    expect(wrong.code).not.toBe(0);
    expect(`${wrong.messages}\n${wrong.errors}`, describeSipp(wrong)).toContain(
      'SIP/2.0 403 Forbidden',
    );
    expect((await api<{ status: string }>('GET', `/agents/${agent.id}`)).status).toBe('available');

    const real = await runSipp({
      scenario: scenario('caller-feature-code-auth'),
      localPort: phonePort,
      remote: { host: '127.0.0.1', port: sipPort },
      service: '*52',
      keys: { agent: username },
      extraArgs: ['-au', username, '-ap', password, '-auth_uri', `*52@127.0.0.1:${sipPort}`],
      timeoutSeconds: 15,
    });
    assertSippPassed(real, '*52 with digest');
    expect(countInTrace(real.messages, /^SIP\/2\.0 407/, 'received')).toBeGreaterThanOrEqual(1);
    expect((await api<{ status: string }>('GET', `/agents/${agent.id}`)).status).toBe('away');
  }, 120_000);
});
