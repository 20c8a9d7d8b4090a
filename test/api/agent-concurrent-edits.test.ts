/**
 * The digest hashes include the SIP username, so a password change computes
 * them for the username it reads. Two PATCHes at once (one renames the agent
 * and sets a password, the other only sets a password) must never leave
 * hashes computed for a username the row no longer has: the stored hashes
 * always match the stored username and one of the passwords sent.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BACKENDS, unique, useApp } from './support/harness.ts';

const REALM = 'acd.local';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(BACKENDS)('concurrent agent edits on %s', (backend) => {
  const h = useApp(backend);

  it('stored hashes always belong to the stored username', async () => {
    const rounds = 25;
    const mismatches: string[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const created = await h.call<{ id: string }>('POST', '/api/agents', {
        name: `Race ${i}`,
        sipUsername: `r${unique()}`,
        password: 'first-password',
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const renamed = `n${unique()}`;
      const passwords = ['rename-password', 'other-password-1', 'other-password-2'];
      const replies = await Promise.all([
        h.call('PATCH', `/api/agents/${id}`, { password: passwords[1] }),
        h.call('PATCH', `/api/agents/${id}`, { sipUsername: renamed, password: passwords[0] }),
        h.call('PATCH', `/api/agents/${id}`, { password: passwords[2] }),
      ]);
      for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);
      const { rows } = await h.app.store.db.query<{
        sip_username: string;
        ha1_md5: string;
        ha1_sha256: string;
      }>('SELECT sip_username, ha1_md5, ha1_sha256 FROM agents WHERE id = $1', [id]);
      const row = rows[0];
      expect(row?.sip_username).toBe(renamed);
      const match = passwords.find(
        (p) =>
          row?.ha1_md5 === md5(`${renamed}:${REALM}:${p}`) &&
          row?.ha1_sha256 === sha256(`${renamed}:${REALM}:${p}`),
      );
      if (match === undefined) mismatches.push(`round ${i}`);
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
