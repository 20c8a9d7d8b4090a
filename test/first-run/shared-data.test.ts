/**
 * A clone without the RFC 4475 messages: the suite must fail once, with a
 * message that names ACD_SHARED_DIR, instead of a raw ENOENT per file and
 * a hundred tests that silently never run. The parser suites are run by a
 * real vitest in a child process, as a user would run them.
 */

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tortureDataProblem } from '../edge/parser/torture-data.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function childEnv(sharedDir: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VITEST') && k !== 'ACD_SHARED_DIR') env[k] = v;
  }
  if (sharedDir !== undefined) env.ACD_SHARED_DIR = sharedDir;
  return env;
}

function runParserSuites(sharedDir?: string): { out: string; status: number | null } {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vitest/vitest.mjs'),
      'run',
      'test/edge/parser/torture.test.ts',
      'test/edge/parser/fuzz.test.ts',
      '--reporter=default',
      '--reporter=./test/support/summary-reporter.ts',
    ],
    { cwd: ROOT, env: childEnv(sharedDir), encoding: 'utf8', timeout: 230_000 },
  );
  return { out: `${r.stdout}\n${r.stderr}`, status: r.status };
}

describe('RFC 4475 messages missing (ACD_SHARED_DIR)', () => {
  it('names the setting when it is unset, and when its folder lacks the messages', () => {
    expect(tortureDataProblem({})).toMatch(/ACD_SHARED_DIR is not set\. Set ACD_SHARED_DIR/);
    expect(tortureDataProblem({ ACD_SHARED_DIR: '/nonexistent' })).toMatch(
      /ACD_SHARED_DIR=\/nonexistent has no rfc4475\/index\.tsv/,
    );
  });

  it('a run of the parser suites without it: exactly one test fails, with the message, no ENOENT', () => {
    const { out, status } = runParserSuites(undefined);
    expect(status).not.toBe(0);
    expect(out).toMatch(/\d+ passed, 1 failed/);
    expect(out).toContain('RFC 4475 test messages not found');
    expect(out).toContain('Set ACD_SHARED_DIR');
    expect(out).not.toContain('ENOENT');
    // A whole vitest run in a child process: slow on a loaded machine.
  }, 240_000);
});
