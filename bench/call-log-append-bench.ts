/**
 * `npx tsx bench/call-log-append-bench.ts [--calls 300] [--only pglite|postgres] [--no-rollups]`
 *
 * The cost of one call-log append as the call-log writer makes it
 * (`store.callLog.record`, one multi-row INSERT into `event_log`, projected
 * and rolled up by the database's triggers): each call's arrival, ring,
 * answer and end in four appends, one call arriving every 3 s of log time
 * over 3 departments and 20 agents. Prints the median and p95 of every
 * append, then the time of one report catch-up (`store.reports.catchUp()`,
 * where the migrations have it) over the quarter hours the appends left dirty.
 * PGlite runs on its worker thread in a data folder, as the product runs it.
 * `--no-rollups` disables the rollup triggers: the cost of an append without
 * the rollups, measured under the same load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createStore,
  type Db,
  type LogEventInput,
  migrate,
  openPglite,
  openPostgres,
  type Store,
} from '../src/store/index.ts';
import { startPostgres } from '../test/support/postgres.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const CALLS = Number(arg('calls') ?? 300);
const ONLY = arg('only');
const NO_ROLLUPS = args.includes('--no-rollups');

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;

async function run(kind: string, db: Db): Promise<void> {
  await migrate(db);
  if (NO_ROLLUPS) {
    await db.exec(`ALTER TABLE calls DISABLE TRIGGER report_rollups_calls_inserted;
      ALTER TABLE calls DISABLE TRIGGER report_rollups_calls_updated;
      ALTER TABLE call_attempts DISABLE TRIGGER report_rollups_attempts_inserted;
      ALTER TABLE call_attempts DISABLE TRIGGER report_rollups_attempts_updated;`);
  }
  const store: Store = createStore(db);
  const departments: string[] = [];
  for (const i of [0, 1, 2]) {
    departments.push((await store.departments.create({ name: `B${i}`, wrapUpS: 5 })).id);
  }
  const agents: string[] = [];
  for (let i = 0; i < 20; i++) {
    agents.push((await store.agents.create({ name: `b${i}`, sipUsername: `b${i}` })).id);
  }
  const start = Date.now() - CALLS * 3000;
  const times: number[] = [];
  for (let n = 0; n < CALLS; n++) {
    const callId = `bench-${n}`;
    const t0 = start + n * 3000;
    const at = (ms: number) => new Date(t0 + ms);
    const departmentId = departments[n % departments.length] as string;
    const agentId = agents[n % agents.length] as string;
    const attemptId = `${callId}-a`;
    const moments: LogEventInput[][] = [
      [
        {
          type: 'call.arrived',
          callId,
          at: at(0),
          departmentId,
          payload: { caller: `+4930${n}`, dialledNumber: '+4930999' },
        },
        { type: 'call.queued', callId, at: at(5), departmentId },
      ],
      [
        {
          type: 'call.ringing',
          callId,
          agentId,
          at: at(20),
          payload: { attemptId, device: 'sip:d@h' },
        },
      ],
      [{ type: 'call.answered', callId, agentId, at: at(4000), payload: { attemptId } }],
      [{ type: 'call.ended', callId, at: at(90_000), payload: { outcome: 'answered' } }],
    ];
    for (const events of moments) {
      const t = performance.now();
      await store.callLog.record(events);
      times.push(performance.now() - t);
    }
  }
  const fmt = (ms: number) => ms.toFixed(2);
  process.stdout.write(
    `${kind}${NO_ROLLUPS ? ' (rollup triggers disabled)' : ''}: ${times.length} appends, median ${fmt(quantile(times, 0.5))} ms, ` +
      `p95 ${fmt(quantile(times, 0.95))} ms, max ${fmt(Math.max(...times))} ms\n`,
  );
  const reports = store.reports as { catchUp?: () => Promise<number> };
  if (reports.catchUp) {
    const t = performance.now();
    const marks = await reports.catchUp();
    process.stdout.write(
      `${kind}: catch-up of ${marks} dirty marks: ${fmt(performance.now() - t)} ms\n`,
    );
  }
}

if (ONLY !== 'postgres') {
  const dir = await mkdtemp(path.join(tmpdir(), 'append-bench-'));
  try {
    const db = await openPglite(dir);
    try {
      await run('pglite', db);
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
if (ONLY !== 'pglite') {
  const server = await startPostgres();
  try {
    const db = openPostgres(await server.createMigratedDatabase(), { max: 2 });
    try {
      await run('postgres', db);
    } finally {
      await db.close();
    }
  } finally {
    await server.stop();
  }
}
