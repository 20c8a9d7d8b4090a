/**
 * The README and the docs link only inside the repository, and every such
 * link leads to a file that exists (a moved or renamed doc breaks this).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-main.ts';

const FILES = [
  'README.md',
  'bench/RESULTS.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown link targets, `[text](target)` and `[ref]: target`, outside code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
  const references = [...prose.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] as string);
  return [...inline, ...references];
}

describe('links in README.md and docs/', () => {
  it.each(FILES)('%s: every link stays in the repository and leads to a file', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const problems: string[] = [];
    for (const target of linkTargets(text)) {
      if (/^[a-z]+:/i.test(target) && !/^https?:\/\/127\.0\.0\.1[:/]/.test(target)) {
        problems.push(`${target}: leaves the repository`);
        continue;
      }
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const resolved = path.resolve(
        path.dirname(path.join(ROOT, file)),
        target.split('#')[0] as string,
      );
      if (!resolved.startsWith(`${ROOT}`)) problems.push(`${target}: outside the repository`);
      else if (!existsSync(resolved)) problems.push(`${target}: no such file`);
    }
    expect(problems).toEqual([]);
    expect(text).not.toMatch(/\.\.\/shared\b/);
  });
});
