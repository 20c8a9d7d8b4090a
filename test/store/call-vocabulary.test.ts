/**
 * The call log's words have one source (src/store/call-vocabulary.ts); the
 * database checks the same lists, on Postgres and PGlite.
 */
import { expect, test } from 'vitest';
import {
  ATTEMPT_RESULTS,
  CALL_OUTCOMES,
  MISSED_RING_RESULTS,
  STATUS_SOURCES,
  UNQUEUED_OUTCOMES,
} from '../../src/store/index.ts';
import { eachBackend } from './backends.ts';

eachBackend('call-log vocabulary', (ctx) => {
  test('the database allows exactly the words of call-vocabulary.ts', async () => {
    const { db } = ctx();
    const { rows } = await db.query<{ outcome: string[]; result: string[]; source: string[] }>(
      `SELECT call_log_values('outcome') AS outcome, call_log_values('result') AS result,
              call_log_values('source') AS source`,
    );
    expect(rows[0]).toEqual({
      outcome: [...CALL_OUTCOMES],
      result: [...ATTEMPT_RESULTS],
      source: [...STATUS_SOURCES],
    });
  });
});

test('the report groups are made of the stored words', () => {
  for (const o of UNQUEUED_OUTCOMES) expect(CALL_OUTCOMES).toContain(o);
  for (const r of MISSED_RING_RESULTS) expect(ATTEMPT_RESULTS).toContain(r);
  expect(MISSED_RING_RESULTS).not.toContain('answered');
  expect(MISSED_RING_RESULTS).not.toContain('cancelled');
});
