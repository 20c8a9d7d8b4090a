/**
 * What the real app writes to its log when a write carrying a SIP password
 * fails inside the database: the error is logged, but neither the password
 * nor its digest hashes (enough to register as the agent) appear, whichever
 * key or text they hide in. The database is made to fail with a trigger that
 * quotes the whole row in its message (as a debugging trigger would), so the
 * failure reaches both drivers' errors: PGlite also attaches the statement's
 * parameters. And the digest authenticator's lines, written through the
 * same app logger, stay readable: only credentials are cut.
 */
import { describe, expect, it } from 'vitest';
import { DigestAuthenticator } from '../../src/calls/digest/index.ts';
import { authorization, ha1 } from '../calls/digest-client.ts';
import { BACKENDS, type ErrorReply, unique, useApp } from './support/harness.ts';

const REALM = 'acd.local';

describe.each(BACKENDS)('secrets in the log on %s', (backend) => {
  const h = useApp(backend);

  it('a failed agent write logs the error but never the password or its hashes', async () => {
    await h.app.store.db.exec(`
      CREATE OR REPLACE FUNCTION refuse_test_agent() RETURNS trigger AS $$
      BEGIN
        IF NEW.name LIKE 'refused by trigger%' THEN
          RAISE EXCEPTION 'refused row %', NEW;
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER refuse_test_agent BEFORE INSERT OR UPDATE ON agents
        FOR EACH ROW EXECUTE FUNCTION refuse_test_agent();`);
    const username = `u${unique()}`;
    const password = `pw-${unique()}-very-secret`;
    const before = h.logs.length;
    const created = await h.call<ErrorReply>('POST', '/api/agents', {
      name: 'refused by trigger',
      sipUsername: username,
      password,
    });
    expect(created.status).toBe(500);

    const ok = await h.call<{ id: string }>('POST', '/api/agents', {
      name: 'Accepted',
      sipUsername: `v${unique()}`,
    });
    expect(ok.status).toBe(201);
    const patchPassword = `pw-${unique()}-other-secret`;
    const patched = await h.call('PATCH', `/api/agents/${ok.body.id}`, {
      name: 'refused by trigger again',
      password: patchPassword,
    });
    expect(patched.status).toBe(500);

    const lines = h.logs.slice(before);
    const text = lines.join('\n');
    // The failures were logged...
    const failures = lines.filter((l) => JSON.parse(l).msg === 'request failed');
    expect(failures).toHaveLength(2);
    expect(text).toContain('refused row');
    // ...without anything that would let someone register as the agent.
    const secrets = [
      password,
      ha1('MD5', username, REALM, password),
      ha1('SHA-256', username, REALM, password),
      patchPassword,
    ];
    for (const s of secrets) expect(text).not.toContain(s);
    await h.app.store.db.exec('DROP TRIGGER refuse_test_agent ON agents');
  });

  it("keeps the digest authenticator's failure and lock-out lines readable", async () => {
    const before = h.logs.length;
    const auth = new DigestAuthenticator({
      realm: REALM,
      logger: h.app.logger,
      credentials: { getCredentials: async () => null },
      algorithms: ['MD5'],
      throttle: { freeFailures: 1 },
    });
    for (let i = 0; i < 3; i += 1) {
      const challenge = auth.challenge('192.0.2.7').wwwAuthenticate[0] ?? '';
      const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] ?? '';
      const header = authorization({
        algo: 'MD5',
        user: 'nobody',
        realm: REALM,
        password: 'guess',
        nonce,
        method: 'REGISTER',
        uri: 'sip:acd.local',
      });
      await auth.authenticate({
        method: 'REGISTER',
        requestUri: 'sip:acd.local',
        authorization: header,
        sourceAddress: '192.0.2.7',
      });
    }
    const msgs = h.logs.slice(before).map((l) => JSON.parse(l).msg as string);
    expect(msgs).toContain('digest authentication failed');
    expect(msgs).toContain('digest authentication failed; username locked out for this source');
    expect(msgs.join('\n')).not.toContain('[redacted]');
  });
});
