/**
 * The production stack as files: docker-compose.yml and the Dockerfile are
 * parsed and checked (services, pinned images, ports, health checks, the
 * app's variables against the settings the app really reads). There is no
 * Docker engine on the test machines, so the stack is not started here;
 * `docker compose config` (or the standalone `docker-compose config`)
 * validates the file against the Compose schema where a client is installed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ENV_OVERRIDES } from '../../src/app/settings/env-overrides.ts';

const root = path.resolve(import.meta.dirname, '../..');
const composeText = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** A Compose variable reference with a default, as the file writes it. */
function ref(name: string, dflt: string): string {
  return `\${${name}:-${dflt}}`;
}

/** `${NAME:-default}` -> default, `${NAME:?msg}` -> a stand-in, plain text unchanged. */
function substitute(text: string): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_m, _name, dflt) => dflt ?? 'x');
}

describe('docker-compose.yml', () => {
  test('runs drachtio-server, FreeSWITCH, Postgres and the app twice', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['acd-a', 'acd-b', 'drachtio', 'freeswitch', 'postgres'].sort(),
    );
    expect(service('drachtio').image).toMatch(/^drachtio\/drachtio-server:/);
    expect(service('freeswitch').image).toMatch(/^drachtio\/drachtio-freeswitch-mrf:/);
    expect(service('postgres').image).toMatch(/^postgres:/);
    expect(appServices.map(([name]) => name).sort()).toEqual(['acd-a', 'acd-b']);
  });

  test('every image is pinned to a version (no latest, no bare name)', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) continue;
      expect(s.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      const tag = s.image!.split(':')[1];
      expect(tag, `${name} tag`).not.toBe('latest');
      // A version: digits and dots, possibly with a v prefix or a suffix (15.10, 0.9.4, v1.10.1-full).
      expect(tag, `${name} tag`).toMatch(/^v?\d+\.\d+/);
    }
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+[\w.-]*$/m);
  });

  test('every service has a health check, and the apps wait for the healthy parts', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.healthcheck?.test?.length ?? 0, name).toBeGreaterThan(0);
    }
    for (const [name, s] of appServices) {
      for (const dep of ['postgres', 'drachtio', 'freeswitch']) {
        expect(s.depends_on?.[dep]?.condition, `${name} -> ${dep}`).toBe('service_healthy');
      }
    }
  });

  test('SIP 5060 over udp and tcp, the RTP range and each API are published', () => {
    expect(service('drachtio').ports).toEqual(
      expect.arrayContaining(['5060:5060/udp', '5060:5060/tcp']),
    );
    const rtp = (service('freeswitch').ports ?? []).map(substitute);
    expect(rtp).toContain('20000-20999:20000-20999/udp');
    const apiPorts = appServices.map(([, s]) => substitute((s.ports ?? [])[0] ?? ''));
    expect(apiPorts.sort()).toEqual(['8080:8080', '8081:8080']);
  });

  test('the apps use drachtio-server and FreeSWITCH, with trunk and media settings as variables', () => {
    for (const [name, s] of appServices) {
      const env = s.environment ?? {};
      expect(env.ACD_DRACHTIO_HOST, name).toBe('drachtio');
      expect(env.ACD_FREESWITCH_HOST, name).toBe('freeswitch');
      expect(env.DATABASE_URL, name).toMatch(/@postgres:5432\//);
      for (const v of ['ACD_TRUNK_ADDRESSES', 'ACD_TRUNK_URI', 'ACD_FREESWITCH_SECRET']) {
        expect(env[v], `${name} ${v}`).toMatch(new RegExp(`^\\$\\{${v}:[-?]`));
      }
      expect(env.ACD_API_TOKEN, name).toMatch(/^\$\{ACD_API_TOKEN:\?/);
    }
    // Each instance has a name of its own (the call log says who routed a call).
    const ids = appServices.map(([, s]) => s.environment?.ACD_INSTANCE_ID);
    expect(new Set(ids).size).toBe(appServices.length);
    // drachtio-server and FreeSWITCH get the same secrets the apps use.
    const drachtioCmd = (service('drachtio').command as string[]).join(' ');
    expect(drachtioCmd).toContain('--secret ' + ref('ACD_DRACHTIO_SECRET', 'cymru'));
    expect(appServices[0]?.[1].environment?.ACD_DRACHTIO_SECRET).toBe(
      ref('ACD_DRACHTIO_SECRET', 'cymru'),
    );
    const fsCmd = (service('freeswitch').command as string[]).join(' ');
    expect(fsCmd).toContain('--password ' + ref('ACD_FREESWITCH_SECRET', 'ClueCon'));
    expect(fsCmd).toContain('--rtp-range-start ' + ref('ACD_RTP_PORT_MIN', '20000'));
  });

  test('every ACD_* variable the apps get is a setting the app reads', () => {
    const known = new Set(ENV_OVERRIDES.map((o) => o.env));
    const set = new Set(appServices.flatMap(([, s]) => Object.keys(s.environment ?? {})));
    expect(set.size).toBeGreaterThan(10);
    for (const v of set)
      expect(known.has(v), `${v} is not in src/app/settings/env-overrides.ts`).toBe(true);
  });

  test('the file is valid for the Compose client (`docker compose config`)', {
    timeout: 90_000,
  }, (ctx) => {
    const env = { ...process.env, ACD_API_TOKEN: 'x'.repeat(32), ACD_PUBLIC_IP: '192.0.2.10' };
    // The docker CLI's compose plugin, or the standalone client (Debian's docker-compose).
    const clients: [string, string[]][] = [
      ['docker', ['compose']],
      ['docker-compose', []],
    ];
    const tried: string[] = [];
    for (const [cmd, prefix] of clients) {
      try {
        execFileSync(cmd, [...prefix, 'version'], { stdio: 'pipe' });
      } catch {
        tried.push(`${[cmd, ...prefix].join(' ')}: not installed`);
        continue;
      }
      try {
        execFileSync(cmd, [...prefix, 'config', '--quiet'], { cwd: root, env, stdio: 'pipe' });
      } catch (err) {
        const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
        throw new Error(
          `${[cmd, ...prefix].join(' ')} config rejected docker-compose.yml:\n${stderr}`,
        );
      }
      return; // valid: the client exited 0
    }
    // No Compose client on this machine: say so in the report instead of passing silently.
    ctx.skip(
      `no Compose client to validate with (${tried.join('; ')}); .ci/run installs Debian's docker-compose`,
    );
  });
});

describe('Dockerfile', () => {
  test('builds from the committed lock with npm ci and runs the app without a shell in between', () => {
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json/);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).not.toMatch(/npm install/);
    expect(dockerfile).toMatch(/^COPY sql /m);
    expect(dockerfile).toMatch(/^CMD \["node",/m);
  });
});
