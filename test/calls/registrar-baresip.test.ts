/**
 * A first run as a new user would do it: the product with its default SIP
 * settings (only the ports chosen), an agent created through the API, and
 * Debian's baresip (1.0.0) as the agent's softphone. baresip refuses a whole
 * 401 when any challenge names an algorithm it does not know, so this checks
 * that the default challenge is one common softphones answer. A softphone
 * with the wrong password is refused, and the log says who, from where and
 * why, never with the password or its hashes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/settings/config.ts';
import { productionLayers } from '../../src/app/layers.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import { captureLogs } from '../api/support/harness.ts';
import { type Baresip, startBaresip } from '../support/baresip.ts';
import { freePort } from '../support/ports.ts';

const TOKEN = 'baresip-test-token-0123456789';
const REALM = 'acd.local';

let app: AcdApp | undefined;
let dataDir: string | undefined;
let sipPort = 0;
const logs: string[] = [];
const phones = new Set<Baresip>();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'acd-baresip-app-'));
  sipPort = await freePort();
  const config = loadConfig({
    env: {},
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      database: { url: null, dataDir },
      api: { token: TOKEN, readToken: null, tokenFile: null },
      log: { level: 'info' },
      sip: {
        ...loadConfig({ env: {} }).sip,
        host: '127.0.0.1',
        port: sipPort,
      },
      drachtio: { host: null, port: 0, secret: null },
    },
  });
  app = await startApp(config, {
    logger: createLogger({ level: 'info', destination: captureLogs(logs) }),
    defaultMetrics: false,
    telephony: true,
    layers: productionLayers(),
  });
}, 180_000);

afterEach(async () => {
  await Promise.all([...phones].map((p) => p.stop()));
  phones.clear();
});

afterAll(async () => {
  await app?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${app!.httpUrl}/api${p}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function phone(username: string, password: string): Promise<Baresip> {
  const p = await startBaresip({
    localPort: await freePort(),
    registrar: { host: '127.0.0.1', port: sipPort },
    username,
    password,
  });
  phones.add(p);
  return p;
}

describe('baresip as the softphone, default settings', () => {
  it('registers, and the binding is stored', async () => {
    const agent = await api<{ id: string }>('POST', '/agents', {
      name: 'Baresip Bea',
      sipUsername: '2001',
      password: 'bea-secret-pw',
    });
    const bea = await phone('2001', 'bea-secret-pw');
    await bea.waitFor(/200 OK|registered successfully|\{[^}]*\} 200/i, 20_000);
    let items: Array<{ agentId: string; userAgent: string | null }> = [];
    for (let i = 0; i < 100 && items.length === 0; i += 1) {
      ({ items } = await api<{ items: typeof items }>(
        'GET',
        `/registrations?agentId=${agent.id}&active=true`,
      ));
      if (items.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(items, bea.output()).toHaveLength(1);
    expect(items[0]?.userAgent ?? '').toMatch(/baresip/i);
  }, 60_000);

  it('a wrong password is refused and logged with user, source and reason, never the credentials', async () => {
    await api('POST', '/agents', {
      name: 'Baresip Ben',
      sipUsername: '2002',
      password: 'ben-right-password',
    });
    const before = logs.length;
    const ben = await phone('2002', 'ben-wrong-password');
    await ben.waitFor(/403/, 20_000);
    let refused: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !refused; i += 1) {
      refused = logs
        .slice(before)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'registrar: REGISTER refused');
      if (!refused) await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused, logs.slice(before).join('\n')).toMatchObject({
      username: '2002',
      source: '127.0.0.1',
      status: 403,
      reason: 'wrong digest',
    });
    const text = logs.slice(before).join('\n');
    for (const secret of [
      'ben-wrong-password',
      'ben-right-password',
      createHash('md5').update(`2002:${REALM}:ben-wrong-password`).digest('hex'),
      createHash('md5').update(`2002:${REALM}:ben-right-password`).digest('hex'),
    ]) {
      expect(text).not.toContain(secret);
    }
  }, 60_000);
});
