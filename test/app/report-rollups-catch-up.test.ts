/**
 * The report rollups' background pass, in the app on PGlite: the quarter
 * hours the call log's writes mark dirty (a call moved to another department
 * after its ring) are recomputed by the layer's timer alone (no report read
 * in between), and the timer stops on close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { reportRollupsCatchUp } from '../../src/app/report-rollups-catch-up.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { loadConfig } from '../../src/app/settings/config.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import type { Db } from '../../src/store/index.ts';
import { captureLogs } from '../api/support/harness.ts';
import { openMigratedPglite } from '../support/pglite.ts';
import { untilWithin } from '../support/wait.ts';

const until = untilWithin(10_000);
const apps: AcdApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function dirtyMarks(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM report_rollups_dirty_departments)
       + (SELECT count(*) FROM report_rollups_dirty_agents) AS n`,
  );
  return Number(rows[0]?.n);
}

describe('report rollups catch-up layer', () => {
  it('recomputes what the writes marked without any report, and stops on close', async () => {
    const db = await openMigratedPglite();
    const logs: string[] = [];
    const app = await startApp(
      loadConfig({
        env: {},
        overrides: {
          http: { host: '127.0.0.1', port: 0 },
          database: { dataDir: '/nonexistent-not-used' },
          api: { token: 'rollups-token-0123456789' },
        },
      }),
      {
        db,
        layers: [reportRollupsCatchUp({ intervalMs: 50 })],
        logger: createLogger({ level: 'debug', destination: captureLogs(logs) }),
      },
    );
    apps.push(app);
    const { store } = app;
    const department = await store.departments.create({ name: 'Catch-up' });
    const transferred = await store.departments.create({ name: 'Transferred' });
    const agent = await store.agents.create({ name: 'cu', sipUsername: 'cu' });
    const at = Date.now() - 60_000;
    await store.callLog.record([
      {
        type: 'call.arrived',
        callId: 'cu-1',
        at: new Date(at),
        departmentId: department.id,
        payload: { caller: '+4930123', dialledNumber: '+4930999' },
      },
      {
        type: 'call.ringing',
        callId: 'cu-1',
        agentId: agent.id,
        at: new Date(at + 100),
        payload: { attemptId: 'cu-1-a', device: 'sip:d@h' },
      },
      {
        type: 'call.answered',
        callId: 'cu-1',
        agentId: agent.id,
        at: new Date(at + 2000),
        payload: { attemptId: 'cu-1-a' },
      },
    ]);
    await store.callLog.record([
      {
        type: 'call.queued',
        callId: 'cu-1',
        at: new Date(at + 3000),
        departmentId: transferred.id,
        payload: {},
      },
    ]);
    await until('the marks to be taken', async () => (await dirtyMarks(db)) === 0);
    // Taken by the pass, not lost: the rollups count the call and its ring.
    const { rows } = await db.query<{ calls: number; rings: number }>(
      `SELECT (SELECT sum(calls)::int FROM report_department_rollups WHERE span = 'month') AS calls,
         (SELECT sum(rings)::int FROM report_agent_rollups WHERE span = 'month') AS rings`,
    );
    expect(rows[0]).toEqual({ calls: 1, rings: 1 });
    const moved = await db.query<{ rings: number }>(
      `SELECT sum(rings)::int AS rings FROM report_agent_rollups
        WHERE span = 'month' AND department_key = $1`,
      [transferred.id],
    );
    expect(moved.rows[0]?.rings).toBe(1);
    expect(logs.some((l) => l.includes('report rollups brought up to date'))).toBe(true);

    // The app closes the database after the layer: a pass firing later would log its failure.
    await app.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(logs.filter((l) => l.includes('catch-up failed'))).toEqual([]);
  }, 60_000);
});
