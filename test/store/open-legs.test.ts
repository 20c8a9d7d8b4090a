/**
 * The open-legs journal: the legs a takeover must end are those of other
 * instances and of an earlier run of this one, each with its age by the
 * database's clock (how long a lost INVITE may still ring is counted from it).
 */
import { expect, test } from 'vitest';
import { OpenLegsRepo } from '../../src/store/open-legs.ts';
import { eachBackend } from './backends.ts';

eachBackend('open legs', (ctx) => {
  test("orphaned legs are another instance's and an earlier run's, aged by the database's clock", async () => {
    const { db } = ctx();
    const legs = new OpenLegsRepo(db);
    await legs.write(
      'acd-a',
      [
        { sipCallId: 'lost@a', target: 'sip:+4915112345678@trunk' },
        { sipCallId: 'gone@a', target: 'sip:2002@192.0.2.8' },
      ],
      [],
    );
    await legs.write('acd-b', [{ sipCallId: 'mine@b', target: 'sip:2001@192.0.2.7' }], []);
    await db.query(
      `UPDATE open_legs SET opened_at = now() - interval '90 seconds' WHERE sip_call_id = 'lost@a'`,
    );
    await legs.write('acd-a', [], ['gone@a']);

    const found = await legs.orphaned('acd-b', new Date(Date.now() - 60_000));
    expect(found.map((l) => [l.sipCallId, l.instance, l.target])).toEqual([
      ['lost@a', 'acd-a', 'sip:+4915112345678@trunk'],
    ]);
    expect(found[0]?.ageMs).toBeGreaterThanOrEqual(90_000);
    expect(found[0]?.ageMs).toBeLessThan(120_000);
  });

  test('one write opens some legs and closes others; a leg opened twice stays one row', async () => {
    const { db } = ctx();
    const legs = new OpenLegsRepo(db);
    await legs.write(
      'acd-a',
      [
        { sipCallId: 'l1', target: 'sip:1@h' },
        { sipCallId: 'l2', target: 'sip:2@h' },
      ],
      [],
    );
    await legs.write(
      'acd-a',
      [
        { sipCallId: 'l3', target: 'sip:3@h' },
        { sipCallId: 'l2', target: 'sip:2@h' },
      ],
      ['l1', 'unknown'],
    );
    const { rows } = await db.query<{ sip_call_id: string }>(
      'SELECT sip_call_id FROM open_legs ORDER BY sip_call_id',
    );
    expect(rows.map((r) => r.sip_call_id)).toEqual(['l2', 'l3']);
  });
});
