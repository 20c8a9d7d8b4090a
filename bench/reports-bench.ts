/**
 * `npm run bench:reports [-- --calls 1000000] [-- --only pglite|postgres]`
 *
 * Reports and the live view over a large call log, on PGlite (a data folder)
 * and on a throwaway Postgres server:
 *
 * 1. Generates the log set-based: a year of calls (default 1,000,000) over
 *    10 departments and 500 agents, with ring attempts and status changes.
 *    The reports read only the projections (`calls`, `call_attempts`,
 *    `agent_status_history`), so those are filled straight by INSERT ...
 *    SELECT; how fast events become projections is bench:acd's subject.
 *    The rollup triggers are disabled for the load, and one rebuild (the
 *    migration's backfill) sums it afterwards.
 * 2. Times each report (a day, a month, the whole year; departments, agents,
 *    intervals at every unit) through the store, the median of 3 runs, and
 *    prints the plan (EXPLAIN) of every query the report sent: the indexes
 *    it reads, and any sequential scan of `calls`, `call_attempts` or a rollup
 *    table (which fails the run).
 * 3. Starts the app on that database with a routing engine of 500 agents and
 *    200 waiting calls and times GET /api/live (median and p95 of 30), and
 *    the time from an event on the bus to the wallboard's WebSocket showing
 *    it (20 events).
 *
 * Goals: every report < 1 s, the live view < 50 ms, event to wallboard < 1 s.
 * Prints one table per backend; exits 1 when a goal is missed. With
 * `--write-results` the tables go to bench/RESULTS.md (bench/results-file.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { type AcdEngine, createAcd } from '../src/acd/index.ts';
import { loadConfig } from '../src/app/settings/config.ts';
import { createLogger } from '../src/app/runtime/logger.ts';
import { startApp } from '../src/app/start-app.ts';
import type { LayerStarter } from '../src/app/runtime/layer.ts';
import {
  createStore,
  type Db,
  loadAcdConfig,
  migrate,
  openPglite,
  openPostgres,
} from '../src/store/index.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { machineLine, resultsRequested, writeResults } from './results-file.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const CALLS = Number(arg('calls') ?? 1_000_000);
const ONLY = arg('only');
const DEPARTMENTS = 10;
const AGENTS = 500;
const WAITING = 200;
const BATCH = 100_000;
const YEAR_START = Date.parse('2026-01-01T00:00:00Z');
const TOKEN = 'bench-reports-token-0123456789';

interface Row {
  what: string;
  ms: number;
  goalMs: number;
  note: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] ?? 0;

async function generate(
  db: Db,
): Promise<{ departments: string[]; agents: string[]; rebuildMs: number }> {
  await db.query(
    `INSERT INTO departments (name, strategy, service_level_s, wrap_up_s, ring_timeout_s)
     SELECT 'Bench ' || g, 'longest-idle', 20, 10, 300 FROM generate_series(1, $1) g`,
    [DEPARTMENTS],
  );
  await db.query(
    `INSERT INTO agents (name, sip_username, status)
     SELECT 'Agent ' || g, 'bench' || g, 'away' FROM generate_series(1, $1) g`,
    [AGENTS],
  );
  const departments = (
    await db.query<{ id: string }>(`SELECT id FROM departments ORDER BY name`)
  ).rows.map((r) => r.id);
  const agents = (
    await db.query<{ id: string }>(`SELECT id FROM agents ORDER BY sip_username`)
  ).rows.map((r) => r.id);
  // Each agent serves two departments.
  await db.query(
    `INSERT INTO memberships (agent_id, department_id, priority)
     SELECT a.id, d.id, 1 + (a.n % 50)
     FROM (SELECT id, row_number() OVER (ORDER BY sip_username) AS n FROM agents) a
     JOIN (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM departments) d
       ON d.k IN (a.n % $1, (a.n + 1) % $1)`,
    [DEPARTMENTS],
  );
  // A bulk load: the rollup triggers wait, and one rebuild (the migration's
  // backfill) sums the loaded calls afterwards.
  await db.exec(`ALTER TABLE calls DISABLE TRIGGER report_rollups_calls_inserted;
    ALTER TABLE call_attempts DISABLE TRIGGER report_rollups_attempts_inserted;`);
  // Calls: arrival spread over the year; 70 % answered, 18 % abandoned, the rest other outcomes.
  for (let first = 1; first <= CALLS; first += BATCH) {
    const last = Math.min(CALLS, first + BATCH - 1);
    const t = performance.now();
    // One statement per batch: the calls, their answered rings and every third call's missed ring.
    await db.query(
      `WITH g AS (
         SELECT n, random() AS r, random() AS w, random() AS k,
           to_timestamp($3 + (n::float8 / $4) * 365 * 86400 + random() * 60) AS arrived
         FROM generate_series($1::int, $2::int) n),
       d AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM departments),
       a AS (SELECT id, row_number() OVER (ORDER BY sip_username) - 1 AS k FROM agents),
       c AS (
         SELECT g.n, 'b' || g.n AS id, d.id AS department_id, g.arrived,
           CASE WHEN g.r < 0.7 THEN g.arrived + make_interval(secs => round(g.w * 60)) END AS answered_at,
           g.arrived + make_interval(secs => round(g.w * 60)
             + CASE WHEN g.r < 0.7 THEN 30 + round(g.k * 400) ELSE 0 END) AS ended_at,
           CASE WHEN g.r < 0.7 THEN a.id END AS agent_id,
           CASE WHEN g.r < 0.7 THEN 'answered' WHEN g.r < 0.88 THEN 'abandoned'
                WHEN g.r < 0.93 THEN 'no-agent' WHEN g.r < 0.97 THEN 'out-of-hours'
                ELSE 'overflowed' END AS outcome,
           round(g.w * 60) AS wait_s,
           CASE WHEN g.r < 0.7 THEN 30 + round(g.k * 400) END AS talk_s,
           m.id AS missed_agent
         FROM g JOIN d ON d.k = g.n % $5 JOIN a ON a.k = (g.n * 7) % $6
           JOIN a m ON m.k = g.n % $6),
       ins AS (
         INSERT INTO calls (id, caller, dialled_number, department_id, arrived_at, answered_at,
           ended_at, agent_id, outcome, wait_s, talk_s)
         SELECT id, '+49301' || (n % 200000), '+4930100', department_id, arrived, answered_at,
           ended_at, agent_id, outcome, wait_s, talk_s FROM c
         RETURNING id)
       INSERT INTO call_attempts (id, call_id, agent_id, device, started_at, ended_at, result, ring_s)
       SELECT id || '-a', id, agent_id, 'sip:bench@h', answered_at - interval '5 s', answered_at,
         'answered', 5 FROM c WHERE agent_id IS NOT NULL
       UNION ALL
       SELECT id || '-m', id, missed_agent, 'sip:bench@h', arrived + interval '1 s',
         arrived + interval '21 s', 'no-answer', 20 FROM c WHERE n % 3 = 0`,
      [first, last, YEAR_START / 1000, CALLS, DEPARTMENTS, AGENTS],
    );
    process.stdout.write(`  calls ${first}-${last}: ${Math.round(performance.now() - t)} ms\n`);
  }
  await db.exec(`ALTER TABLE calls ENABLE TRIGGER report_rollups_calls_inserted;
    ALTER TABLE call_attempts ENABLE TRIGGER report_rollups_attempts_inserted;`);
  const rebuild = performance.now();
  await db.query('SELECT report_rollups_rebuild()');
  const rebuildMs = performance.now() - rebuild;
  process.stdout.write(`  rollups rebuilt: ${Math.round(rebuildMs)} ms\n`);
  // A few status changes per agent (through the log, as the product writes them).
  const store = createStore(db);
  for (let i = 0; i < agents.length; i += 100) {
    await store.callLog.appendMany(
      agents.slice(i, i + 100).flatMap((agentId, j) => [
        {
          type: 'agent.status',
          agentId,
          at: new Date(YEAR_START + j * 1000),
          payload: { to: 'available', source: 'admin' },
        },
        {
          type: 'agent.status',
          agentId,
          at: new Date(YEAR_START + 200 * 86_400_000 + j * 1000),
          payload: { to: 'away', source: 'admin' },
        },
      ]),
    );
  }
  await db.exec('VACUUM ANALYZE');
  return { departments, agents, rebuildMs };
}

/**
 * A Db that also keeps every query it is sent, inside its transactions too
 * (a report that reads the rollups flushes them first in a transaction).
 */
function recording(db: Db): { db: Db; take: () => { sql: string; params: unknown[] }[] } {
  let seen: { sql: string; params: unknown[] }[] = [];
  const wrap = (inner: Db): Db =>
    new Proxy(inner, {
      get(target, key) {
        if (key === 'query') {
          return (sql: string, params?: unknown[]) => {
            seen.push({ sql, params: params ?? [] });
            return target.query(sql, params as never);
          };
        }
        if (key === 'transaction') {
          return <T>(fn: (tx: Db) => Promise<T>) => target.transaction((tx) => fn(wrap(tx)));
        }
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return {
    db: wrap(db),
    take: () => {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

const SCANNED = /(calls|call_attempts|report_department_rollups|report_agent_rollups)\b/;

/** The plan of each query: the indexes read, and sequential scans of the big tables. */
async function planOf(db: Db, queries: { sql: string; params: unknown[] }[]) {
  const indexes = new Set<string>();
  const seq = new Set<string>();
  for (const q of queries) {
    const { rows } = await db.query<Record<string, string>>(`EXPLAIN ${q.sql}`, q.params as never);
    for (const r of rows) {
      const line = Object.values(r)[0] ?? '';
      const idx = /(?:Index Scan|Index Only Scan) using (\S+)|Bitmap Index Scan on (\S+)/.exec(
        line,
      );
      if (idx) indexes.add((idx[1] ?? idx[2]) as string);
      const scan = /Seq Scan on (\S+)/.exec(line);
      if (scan && SCANNED.test(scan[1] as string)) seq.add(scan[1] as string);
    }
  }
  return { indexes: [...indexes].sort(), seq: [...seq].sort() };
}

async function timeReports(db: Db, departments: string[], rows: Row[]): Promise<void> {
  const rec = recording(db);
  const store = createStore(rec.db);
  const day = {
    from: new Date(Date.parse('2026-06-10T00:00:00Z')),
    to: new Date(Date.parse('2026-06-11T00:00:00Z')),
  };
  const month = {
    from: new Date(Date.parse('2026-06-01T00:00:00Z')),
    to: new Date(Date.parse('2026-07-01T00:00:00Z')),
  };
  // A month in Berlin: from local midnight, so the edges are hours of quarter hours.
  const berlinMonth = {
    from: new Date(Date.parse('2026-05-31T22:00:00Z')),
    to: new Date(Date.parse('2026-06-30T22:00:00Z')),
  };
  const year = { from: new Date(YEAR_START), to: new Date(Date.parse('2027-01-01T00:00:00Z')) };
  // Off every boundary: raw edges at both ends.
  const odd = {
    from: new Date(Date.parse('2026-02-03T10:07:13Z')),
    to: new Date(Date.parse('2026-11-28T17:52:40Z')),
  };
  const dept = departments[3]!;
  const berlin = 'Europe/Berlin';
  const cases: [string, () => Promise<unknown>][] = [
    ['departments, a day', () => store.reports.departments(day)],
    ['departments, a month', () => store.reports.departments(month)],
    ['departments, the year', () => store.reports.departments(year)],
    ['departments, 10 months off every boundary', () => store.reports.departments(odd)],
    ['one department, the year', () => store.reports.departments({ ...year, departmentId: dept })],
    ['agents, a day', () => store.reports.agents(day)],
    ['agents, a month', () => store.reports.agents(month)],
    ['agents, the year', () => store.reports.agents(year)],
    [
      'agents of one department, the year',
      () => store.reports.agents({ ...year, departmentId: dept }),
    ],
    [
      '15-minute intervals, a day (Berlin)',
      () => store.reports.intervals({ ...day, unit: '15min', timeZone: berlin }),
    ],
    [
      'hourly intervals, a month (Berlin)',
      () => store.reports.intervals({ ...berlinMonth, unit: 'hour', timeZone: berlin }),
    ],
    [
      'daily intervals, a month (Berlin)',
      () => store.reports.intervals({ ...berlinMonth, unit: 'day', timeZone: berlin }),
    ],
    [
      'daily intervals, the year (Berlin)',
      () => store.reports.intervals({ ...year, unit: 'day', timeZone: berlin }),
    ],
    [
      'weekly intervals, the year (Berlin)',
      () => store.reports.intervals({ ...year, unit: 'week', timeZone: berlin }),
    ],
    [
      'monthly intervals, the year (Berlin)',
      () => store.reports.intervals({ ...year, unit: 'month', timeZone: berlin }),
    ],
    [
      'monthly intervals, one department, the year',
      () => store.reports.intervals({ ...year, unit: 'month', departmentId: dept }),
    ],
    ["today's figures (live view)", () => store.reports.today()],
  ];
  for (const [what, run] of cases) {
    rec.take();
    const warm = performance.now();
    await run();
    const plan = await planOf(db, rec.take());
    const note = plan.seq.length
      ? `SEQ SCAN of ${plan.seq.join(', ')}; indexes: ${plan.indexes.join(', ')}`
      : `indexes: ${plan.indexes.join(', ')}`;
    if (performance.now() - warm > 5000) {
      rows.push({ what: `report: ${what}`, ms: performance.now() - warm, goalMs: 1000, note });
      continue;
    }
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
      // A run far over the goal says enough; the machine has other work.
      if (times[0]! > 3000) break;
    }
    rec.take();
    rows.push({ what: `report: ${what}`, ms: median(times), goalMs: 1000, note });
  }
}

async function timeLive(db: Db, rows: Row[]): Promise<void> {
  const store = createStore(db);
  const holder: { engine: AcdEngine | null } = { engine: null };
  const router: LayerStarter = async () => ({
    name: 'router',
    live: () => holder.engine?.liveState() ?? null,
    close: async () => {},
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'acd-bench-live-'));
  const app = await startApp(
    loadConfig({
      env: {},
      overrides: {
        http: { host: '127.0.0.1', port: 0 },
        database: { dataDir: dir },
        api: { token: TOKEN },
        log: { level: 'silent' },
      },
    }),
    { db, layers: [router], logger: createLogger({ level: 'silent' }), defaultMetrics: false },
  );
  try {
    const start = Date.now() - 600_000;
    const engine = createAcd(await loadAcdConfig(store, new Date(start)), {
      now: start,
      random: Math.random,
    });
    holder.engine = engine;
    const cfg = await loadAcdConfig(store, new Date(start));
    // Every agent reachable but away: calls wait, nobody rings.
    for (const a of cfg.agents) {
      engine.handle({
        type: 'agentDevicesChanged',
        at: start,
        agentId: a.id,
        registeredDevices: 1,
      });
    }
    const depts = cfg.departments.map((d) => d.id);
    for (let i = 0; i < WAITING; i++) {
      engine.handle({
        type: 'callArrived',
        at: start + i * 1000,
        callId: `live-${i}`,
        departmentId: depts[i % depts.length]!,
        caller: `+4930555${i}`,
      });
    }
    const get = async () => {
      const t = performance.now();
      const res = await fetch(`${app.httpUrl}/api/live`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const body = (await res.json()) as {
        departments: { waiting: unknown[] }[];
        agents: unknown[];
      };
      const ms = performance.now() - t;
      const waiting = body.departments.reduce((n, d) => n + d.waiting.length, 0);
      if (waiting !== WAITING || body.agents.length !== AGENTS) {
        throw new Error(`live view shows ${waiting} waiting, ${body.agents.length} agents`);
      }
      return ms;
    };
    await get();
    const times: number[] = [];
    for (let i = 0; i < 30; i++) times.push(await get());
    rows.push({
      what: `GET /api/live (${AGENTS} agents, ${WAITING} waiting), median`,
      ms: median(times),
      goalMs: 50,
      note: '',
    });
    rows.push({ what: 'GET /api/live, p95', ms: p95(times), goalMs: 50, note: '' });

    // Event to wallboard: a call arrives, its event goes on the bus, the snapshot shows it.
    const ws = new WebSocket(
      `${app.httpUrl.replace('http', 'ws')}/api/events?live=true&types=live.*`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    const waiters: ((n: number) => void)[] = [];
    ws.on('message', (m) => {
      const e = JSON.parse(String(m)) as { data: { departments: { waiting: unknown[] }[] } };
      const n = e.data.departments.reduce((s, d) => s + d.waiting.length, 0);
      for (const w of waiters.splice(0)) w(n);
    });
    await new Promise((r) => ws.once('open', r));
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const id = `extra-${i}`;
      const t = performance.now();
      engine.handle({
        type: 'callArrived',
        at: Date.now(),
        callId: id,
        departmentId: depts[0]!,
        caller: '+4930666',
      });
      app.events.publish('call.queued', {
        callId: id,
        departmentId: depts[0]!,
        caller: '+4930666',
        dialled: '',
      });
      for (;;) {
        const n = await new Promise<number>((r) => waiters.push(r));
        if (n === WAITING + i + 1) break;
      }
      delays.push(performance.now() - t);
    }
    ws.close();
    rows.push({
      what: 'event -> wallboard WebSocket, median',
      ms: median(delays),
      goalMs: 1000,
      note: '',
    });
    rows.push({
      what: 'event -> wallboard WebSocket, max',
      ms: Math.max(...delays),
      goalMs: 1000,
      note: '',
    });
  } finally {
    await app.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

async function runBackend(
  name: string,
  open: () => Promise<{ db: Db; done: () => Promise<void> }>,
) {
  console.log(`\n== ${name}: generating ${CALLS.toLocaleString('en')} calls`);
  const { db, done } = await open();
  const rows: Row[] = [];
  try {
    await migrate(db);
    const t = performance.now();
    const { departments, rebuildMs } = await generate(db);
    rows.push({
      what: `generate ${CALLS} calls (set-based)`,
      ms: performance.now() - t - rebuildMs,
      goalMs: 0,
      note: '',
    });
    rows.push({ what: 'rebuild the rollups (the backfill)', ms: rebuildMs, goalMs: 0, note: '' });
    await timeReports(db, departments, rows);
    await timeLive(db, rows);
  } finally {
    await done();
  }
  const table = [
    '| measurement | ms | goal | |',
    '|---|---:|---:|---|',
    ...rows.map((r) => {
      const met = r.ms < r.goalMs && !r.note.startsWith('SEQ');
      const verdict =
        r.goalMs === 0 ? r.note : `${met ? 'met' : 'MISSED'}${r.note ? `; ${r.note}` : ''}`;
      return `| ${r.what} | ${r.ms === 0 ? '' : r.ms.toFixed(1)} | ${r.goalMs || ''} | ${verdict} |`;
    }),
  ].join('\n');
  console.log(`\n${name}\n${table}`);
  const ok = rows.every((r) =>
    r.goalMs === 0 ? true : r.ms < r.goalMs && !r.note.startsWith('SEQ'),
  );
  return { ok, section: `### ${name}\n\n${table}` };
}

let ok = true;
const sections: string[] = [];
const record = (r: { ok: boolean; section: string }) => {
  sections.push(r.section);
  return r.ok;
};
if (ONLY !== 'postgres') {
  ok =
    record(
      await runBackend('PGlite', async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'acd-bench-pglite-'));
        const db = await openPglite(path.join(dir, 'pglite'));
        return {
          db,
          done: async () => {
            await db.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      }),
    ) && ok;
}
if (ONLY !== 'pglite') {
  ok =
    record(
      await runBackend('Postgres', async () => {
        const server = await startPostgres();
        const db = openPostgres(await server.createDatabase(), { max: 4 });
        return {
          db,
          done: async () => {
            await db.close();
            await server.stop();
          },
        };
      }),
    ) && ok;
}
if (resultsRequested()) {
  await writeResults(
    'reports-bench',
    `${CALLS.toLocaleString('en')} calls over a year, ${DEPARTMENTS} departments, ${AGENTS} agents; ` +
      `the live view with ${WAITING} waiting calls. Every report is the median of 3 runs; ` +
      'the last column lists the indexes its queries read (EXPLAIN).\n\n' +
      `Machine: ${machineLine()}.\n\n${sections.join('\n\n')}`,
  );
}
process.exit(ok ? 0 : 1);
