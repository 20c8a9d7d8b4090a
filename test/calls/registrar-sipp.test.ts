/**
 * The registrar end to end: sipp as the softphone, the SIP server under test
 * (the embedded one unless DRACHTIO_* point at a real drachtio-server),
 * drachtio-srf with `srf.register(registrar.handler)`, and the store on PGlite.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DigestAuthenticator } from '../../src/calls/digest/index.ts';
import { Registrar } from '../../src/calls/registrar/index.ts';
import type { SrfRequest, SrfResponse } from '../../src/calls/srf/srf-types.ts';
import { credentialsFrom, registrationStoreFrom } from '../../src/calls/store-adapters.ts';
import { createStore, migrate, openPglite, type Store } from '../../src/store/index.ts';
import { useCleanup, useSipTarget } from '../edge/e2e/helpers/harness.ts';
import { SrfApp } from '../edge/e2e/helpers/srf.ts';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, countInTrace, runSipp, SippProcess } from '../support/sipp.ts';
import { ha1 } from './digest-client.ts';

const scenario = (name: string) =>
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios', `${name}.xml`);

const target = useSipTarget();
const track = useCleanup();
const realm = 'acd.local';

/** `algorithms` absent: the authenticator's defaults, as the product runs it. */
async function setup(algorithms?: ('SHA-256' | 'MD5')[]) {
  const db = track(await openPglite(), (d) => d.close());
  await migrate(db);
  const store: Store = createStore(db);
  const agent = await store.agents.create({
    name: 'Agent 1001',
    sipUsername: '1001',
    ha1Md5: ha1('MD5', '1001', realm, 'pw-1001'),
    ha1Sha256: ha1('SHA-256', '1001', realm, 'pw-1001'),
  });
  const registrar = track(
    new Registrar({
      authenticator: new DigestAuthenticator({
        realm,
        credentials: credentialsFrom(store),
        ...(algorithms ? { algorithms } : {}),
      }),
      store: registrationStoreFrom(store),
      minExpiresS: 60,
      maxExpiresS: 3600,
    }),
    (r) => r.close(),
  );
  const app = track(await SrfApp.connect(target().drachtio), (a) => a.close());
  // srf's request and response objects have the shape src/calls/srf-types.ts declares.
  app.srf.register((req, res) =>
    registrar.handler(req as unknown as SrfRequest, res as unknown as SrfResponse),
  );
  return { store, agent, registrar };
}

describe.each(['udp', 'tcp'] as const)('registrar with sipp over %s', (transport) => {
  it('sends one WWW-Authenticate header per algorithm, SHA-256 first, through srf and the server', async () => {
    await setup(['SHA-256', 'MD5']);
    const r = await runSipp({
      scenario: scenario('uac-register-challenge'),
      transport,
      service: '1001',
      localPort: await freePort(),
      remote: { host: target().sipHost, port: target().sipPort },
      timeoutSeconds: 15,
    });
    assertSippPassed(r);
    const challenges = r.messages.match(/^WWW-Authenticate: .*$/gm) ?? [];
    expect(challenges).toHaveLength(2);
    expect(challenges[0]).toMatch(
      /^WWW-Authenticate: Digest realm="acd\.local", nonce="[^"]+", algorithm=SHA-256, qop="auth"\r?$/,
    );
    expect(challenges[1]).toMatch(/algorithm=MD5, qop="auth"/);
  });

  it('challenges, accepts the digest, stores the binding, and removes it on Expires: 0', async () => {
    // With the default settings: sipp 3.6.1 (like srf's own digest client)
    // answers only MD5 challenges, and only the first one.
    const { store, agent } = await setup();
    const localPort = await freePort();
    const sipp = track(
      new SippProcess({
        scenario: scenario('uac-register-digest'),
        transport,
        service: '1001',
        localPort,
        remote: { host: target().sipHost, port: target().sipPort },
        extraArgs: ['-au', '1001', '-ap', 'pw-1001'],
        timeoutSeconds: 20,
      }),
      (s) => s.stop(),
    );
    let bound: Awaited<ReturnType<Store['registrations']['list']>> = [];
    const poll = async () => {
      bound = await store.registrations.list({ agentId: agent.id });
      return bound.length > 0;
    };
    const deadline = Date.now() + 10_000;
    while (!(await poll()) && Date.now() < deadline && sipp.running) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // With no binding, sipp's trace says why.
    if (bound.length === 0) assertSippPassed(await sipp.stop(), 'sipp (no binding stored)');
    expect(bound).toHaveLength(1);
    expect(bound[0]).toMatchObject({
      contactUri: `sip:1001@127.0.0.1:${localPort};transport=${transport.toUpperCase()}`,
      sourceAddress: '127.0.0.1',
      sourcePort: localPort,
      transport,
      userAgent: 'sipp-agent',
    });
    const r = await sipp.finished;
    assertSippPassed(r);
    expect(countInTrace(r.messages, /^SIP\/2\.0 401/, 'received')).toBe(2);
    expect(r.messages).toMatch(
      /WWW-Authenticate: Digest realm="acd\.local", nonce="[^"]+", algorithm=MD5, qop="auth"/,
    );
    expect(await store.registrations.list({ agentId: agent.id })).toEqual([]);
  });
});
