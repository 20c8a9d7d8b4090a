import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_OVERRIDES, loadConfig } from '../../src/app/settings/config.ts';

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('loads the defaults from config/default.json with no environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.database.url).toBeNull();
    expect(c.database.dataDir).toBe('./data');
    expect(c.api.token).toBeNull();
    expect(c.sip.port).toBe(5060);
    expect(c.drachtio.host).toBeNull();
  });

  it('applies every documented environment override', () => {
    const c = loadConfig({
      env: {
        ACD_HTTP_PORT: '9090',
        ACD_HTTP_HOST: '0.0.0.0',
        DATABASE_URL: 'postgres://acd:pw@db:5432/acd',
        ACD_DATA_DIR: '/var/lib/acd',
        ACD_API_TOKEN: 'a-long-enough-admin-token',
        ACD_LOG_LEVEL: 'debug',
        ACD_SIP_REALM: 'example.org',
        ACD_SIP_PORT: '5080',
        ACD_SIP_TRANSPORTS: 'udp',
        ACD_TRUNK_ADDRESSES: '10.0.0.1, 10.0.0.2',
        ACD_DRACHTIO_HOST: 'drachtio',
        ACD_DRACHTIO_PORT: '9023',
        ACD_DRACHTIO_SECRET: 'cymru',
      },
    });
    expect(c.http).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(c.database.url).toBe('postgres://acd:pw@db:5432/acd');
    expect(c.database.dataDir).toBe('/var/lib/acd');
    expect(c.api.token).toBe('a-long-enough-admin-token');
    expect(c.log.level).toBe('debug');
    expect(c.sip.realm).toBe('example.org');
    expect(c.sip.port).toBe(5080);
    expect(c.sip.transports).toEqual(['udp']);
    expect(c.sip.trunk.addresses).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(c.drachtio).toEqual({ host: 'drachtio', port: 9023, secret: 'cymru' });
  });

  it('treats an empty environment variable as unset', () => {
    expect(loadConfig({ env: { ACD_HTTP_PORT: '', DATABASE_URL: '' } }).http.port).toBe(8080);
  });

  it('names the key and the variable of a non-numeric port', () => {
    const err = problemsOf(() => loadConfig({ env: { ACD_HTTP_PORT: 'eighty' } }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ key: 'http.port', env: 'ACD_HTTP_PORT' });
    expect(err.message).toContain('http.port (ACD_HTTP_PORT)');
    expect(err.message).toContain('"eighty"');
  });

  it('rejects an out-of-range port and an unknown log level', () => {
    const err = problemsOf(() =>
      loadConfig({ env: { ACD_SIP_PORT: '70000', ACD_LOG_LEVEL: 'loud' } }),
    );
    expect(err.problems.map((p) => p.key).sort()).toEqual(['log.level', 'sip.port']);
  });

  it('rejects a database URL that is not postgres:// without echoing it', () => {
    const err = problemsOf(() =>
      loadConfig({
        env: { DATABASE_URL: 'mysql://root:hunter2@db/x', ACD_API_TOKEN: 'x'.repeat(20) },
      }),
    );
    expect(err.problems[0]).toMatchObject({ key: 'database.url', env: 'DATABASE_URL' });
    expect(err.message).not.toContain('hunter2');
  });

  it('requires an API token when a database server is configured', () => {
    const err = problemsOf(() => loadConfig({ env: { DATABASE_URL: 'postgres://db/acd' } }));
    expect(err.problems[0]?.key).toBe('api.token');
    expect(err.problems[0]?.message).toContain('DATABASE_URL');
  });

  it('rejects a short token without printing it', () => {
    const err = problemsOf(() => loadConfig({ env: { ACD_API_TOKEN: 'short-secret' } }));
    expect(err.problems[0]?.key).toBe('api.token');
    expect(err.message).not.toContain('short-secret');
  });

  it('requires the drachtio secret with a real drachtio-server', () => {
    const err = problemsOf(() => loadConfig({ env: { ACD_DRACHTIO_HOST: 'drachtio' } }));
    expect(err.problems[0]?.key).toBe('drachtio.secret');
  });

  it('rejects unknown keys and cross-field contradictions in overrides', () => {
    const err = problemsOf(() =>
      loadConfig({
        env: {},
        overrides: { http: { prot: 1 }, sip: { registrar: { minExpires: 600, maxExpires: 60 } } },
      }),
    );
    const keys = err.problems.map((p) => p.key);
    expect(keys).toContain('http.prot');
    expect(keys).toContain('sip.registrar.minExpires');
  });

  it('merges ACD_CONFIG_FILE over the defaults, and the environment over both', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'acd-config-'));
    try {
      const file = path.join(dir, 'acd.json');
      writeFileSync(file, JSON.stringify({ http: { port: 9000 }, sip: { realm: 'file.example' } }));
      const c = loadConfig({ env: { ACD_CONFIG_FILE: file, ACD_HTTP_PORT: '9100' } });
      expect(c.http).toEqual({ host: '127.0.0.1', port: 9100 });
      expect(c.sip.realm).toBe('file.example');
      expect(c.sip.port).toBe(5060);
      writeFileSync(file, JSON.stringify({ sip: { relam: 'typo' } }));
      const err = problemsOf(() => loadConfig({ env: { ACD_CONFIG_FILE: file } }));
      expect(err.problems.map((p) => p.key)).toEqual(['sip.relam']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreadable ACD_CONFIG_FILE', () => {
    const err = problemsOf(() => loadConfig({ env: { ACD_CONFIG_FILE: '/nonexistent/acd.json' } }));
    expect(err.problems[0]?.key).toBe('ACD_CONFIG_FILE');
  });

  it('maps every documented variable to a key that exists in the defaults', () => {
    const defaults = loadConfig({ env: {} }) as unknown as Record<string, unknown>;
    for (const o of ENV_OVERRIDES) {
      let node: unknown = defaults;
      for (const part of o.key.split('.')) node = (node as Record<string, unknown>)[part];
      expect(node, `${o.env} -> ${o.key}`).not.toBeUndefined();
    }
  });
});
