/**
 * bench/RESULTS.md: one section per benchmark, each rewritten alone by its
 * benchmark's --write-results.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESULTS_FILE, replaceSection, resultsRequested } from '../../bench/results-file.ts';

describe('bench/RESULTS.md', () => {
  it('has a section for each of the three benchmarks', () => {
    const text = readFileSync(RESULTS_FILE, 'utf8');
    for (const name of ['acd-bench', 'sip-bench', 'acd-load'] as const) {
      const start = text.indexOf(`<!-- bench:${name}:start -->`);
      const end = text.indexOf(`<!-- bench:${name}:end -->`);
      expect(start, name).toBeGreaterThan(0);
      expect(end, name).toBeGreaterThan(start);
      expect(text.slice(start, end), name).toContain('Machine: ');
    }
  });

  it('a rewrite replaces only its own section', () => {
    const text = [
      '# x',
      '<!-- bench:acd-bench:start -->',
      'old a',
      '<!-- bench:acd-bench:end -->',
      '<!-- bench:sip-bench:start -->',
      'old b',
      '<!-- bench:sip-bench:end -->',
      '',
    ].join('\n');
    const out = replaceSection(text, 'sip-bench', '| new |\n');
    expect(out).toContain('old a');
    expect(out).not.toContain('old b');
    expect(out).toContain('<!-- bench:sip-bench:start -->\n| new |\n<!-- bench:sip-bench:end -->');
    expect(replaceSection(out, 'sip-bench', '| newer |')).toContain('| newer |');
    expect(() => replaceSection(text, 'acd-load', 'x')).toThrow(/no <!-- bench:acd-load:start -->/);
  });

  it('is written only when asked', () => {
    expect(resultsRequested(['node', 'bench/acd-bench.ts'])).toBe(false);
    expect(resultsRequested(['node', 'bench/acd-bench.ts', '--write-results'])).toBe(true);
  });
});
