/**
 * The README's commands, run as shown, twice in a row, in a fresh clone,
 * followed by the examples of the docs that continue its first call
 * (docs/walkthrough.md, docs/api.md) in the same shell.
 *
 * Every fenced ```sh block is one of four kinds, told by the HTML comment on
 * the line before it:
 *   <!-- readme-test: setup -->  `npm install && npm start|test`: checked to
 *                                be there, not run (this suite is already
 *                                installed and is `npm test`)
 *   <!-- readme-test: start -->  run by bash in the background; its log must
 *                                say "open-acd started"
 *   <!-- readme-test: until-stopped -->  a client that runs until stopped
 *                                (the event stream): run in the background
 *                                while the others run; it must print events
 *   no comment                   the client commands: all of them, in order,
 *                                in one bash with `set -e`, which must exit 0
 * The clone is a temporary folder with links to the checkout's files (not
 * its `data/`), so `./data` starts empty. The only change made
 * to the commands: the fixed ports (8080, 5060, 9022 and sipp's local ports)
 * become free ones, so the test can run beside anything else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { cleanEnv, cleanUpMainRuns, ROOT, tempDir } from '../support/run-main.ts';

type Kind = 'setup' | 'start' | 'until-stopped' | 'client';
interface Block {
  kind: Kind;
  text: string;
}

/** The ```sh blocks of a Markdown text with the kind their marker gives them. */
function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /(?:<!-- readme-test: ([\w-]+) -->\n)?```sh\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(re)) {
    const marker = m[1];
    if (marker !== undefined && !['setup', 'start', 'until-stopped'].includes(marker)) {
      throw new Error(`unknown readme-test marker: ${marker}`);
    }
    blocks.push({ kind: (marker as Kind | undefined) ?? 'client', text: m[2] as string });
  }
  return blocks;
}

/** A throwaway clone: links to the checkout's top-level entries, minus what a run creates. */
async function freshClone(): Promise<string> {
  const dir = await tempDir('acd-readme-');
  for (const entry of readdirSync(ROOT)) {
    if (entry === 'data' || entry === '.git') continue;
    symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  return dir;
}

interface Ports {
  http: number;
  sip: number;
  control: number;
  /** sipp's `-p` ports, in the order they appear. */
  sipp: Map<string, number>;
}

async function portsFor(blocks: Block[]): Promise<Ports> {
  const sipp = new Map<string, number>();
  for (const b of blocks) {
    for (const m of b.text.matchAll(/ -p (\d+)/g)) {
      const shown = m[1] as string;
      if (!sipp.has(shown)) sipp.set(shown, await freePort());
    }
  }
  return { http: await freePort(), sip: await freePort(), control: await freePort(), sipp };
}

function withPorts(text: string, ports: Ports): string {
  let out = text
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.http}`)
    .replaceAll('127.0.0.1:5060', `127.0.0.1:${ports.sip}`);
  for (const [shown, port] of ports.sipp) out = out.replaceAll(` -p ${shown}`, ` -p ${port}`);
  return out;
}

const running: ChildProcess[] = [];
afterAll(async () => {
  for (const c of running.splice(0)) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      process.kill(-c.pid, 'SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await cleanUpMainRuns();
});

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn('bash', ['-c', script], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { child, exited, out: () => out };
}

async function waitFor(pred: () => boolean, what: string, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen; output:\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = shellBlocks(readme);
// The docs that continue the README's first call, in the order a reader meets them.
const CONTINUED_IN = ['docs/walkthrough.md', 'docs/api.md'];
const docBlocks = CONTINUED_IN.flatMap((f) =>
  shellBlocks(readFileSync(path.join(ROOT, f), 'utf8')).map((b) => ({ ...b, file: f })),
);

describe('README.md', () => {
  it('gives the two commands for a fresh machine: run the product, run the tests', () => {
    expect(blocks.filter((b) => b.kind === 'setup').map((b) => b.text.trim())).toEqual([
      'npm install && npm start',
      'npm install && npm test',
    ]);
    expect(blocks.filter((b) => b.kind === 'start')).toHaveLength(1);
    expect(blocks.filter((b) => b.kind === 'client').length).toBeGreaterThan(0);
    // The docs add examples; they never start or install anything themselves.
    expect(docBlocks.filter((b) => b.kind === 'setup' || b.kind === 'start')).toEqual([]);
  });

  it('every command of the first call and the docs that follow it runs as shown, twice in a row, in a fresh clone', async () => {
    const clone = await freshClone();
    const all = [...blocks, ...docBlocks];
    const ports = await portsFor(all);
    const env = cleanEnv({
      ACD_HTTP_PORT: String(ports.http),
      ACD_SIP_PORT: String(ports.sip),
      ACD_DRACHTIO_PORT: String(ports.control),
      ACD_SIP_REALTIME_PRIORITY: '0',
    });
    const start = blocks.find((b) => b.kind === 'start') as Block;
    const app = bash(withPorts(start.text, ports), clone, env);
    await waitFor(
      () => app.out().includes('"msg":"open-acd started"') || app.child.exitCode !== null,
      'the start',
      400_000,
      app.out,
    );
    expect(app.child.exitCode, app.out()).toBeNull();
    expect(existsSync(path.join(clone, 'data', 'api-token'))).toBe(true);

    const script = `set -e\n${all
      .filter((b) => b.kind === 'client')
      .map((b) => withPorts(b.text, ports))
      .join('\n')}`;
    const streams = all.filter((b) => b.kind === 'until-stopped');
    expect(streams.length).toBeGreaterThan(0);
    for (const round of [1, 2]) {
      const listeners = streams.map((b) => bash(withPorts(b.text, ports), clone, env));
      await new Promise((r) => setTimeout(r, 1500));
      const run = bash(script, clone, env);
      const code = await run.exited;
      const out = run.out();
      for (const l of listeners) {
        if (l.child.pid !== undefined) process.kill(-l.child.pid, 'SIGTERM');
        await l.exited;
      }
      expect(code, `round ${round}:\n${out}\napp:\n${app.out().slice(-20_000)}`).toBe(0);
      for (const l of listeners) {
        expect(l.out(), `round ${round}: the event stream`).toContain('"type":"agent.status"');
      }
      expect(out, `round ${round}`).not.toContain('undefined');
      expect(out, `round ${round}`).toMatch(/DEPT=[0-9a-f-]{36} ALICE=[0-9a-f-]{36}/);
      expect(out, `round ${round}`).toContain('"outcome":"answered"');
    }
    // One department and one agent, however often the commands ran.
    const token = readFileSync(path.join(clone, 'data', 'api-token'), 'utf8').trim();
    const get = async (p: string) =>
      (await (
        await fetch(`http://127.0.0.1:${ports.http}/api/${p}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { items: unknown[] };
    expect((await get('departments')).items).toHaveLength(1);
    expect((await get('agents')).items).toHaveLength(1);
    expect((await get('calls?outcome=answered')).items).toHaveLength(2);
  }, 900_000);
});
