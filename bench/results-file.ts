/**
 * bench/RESULTS.md holds one current table per benchmark. Run with
 * `--write-results`, a benchmark rewrites its own section there (between
 * `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`) and leaves the
 * other sections as they are. Each section names the machine it ran on.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type BenchName = 'acd-bench' | 'sip-bench' | 'acd-load' | 'media-bench' | 'reports-bench';

export const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');

// Taken when the benchmark starts, before it loads the machine itself.
const loadAtStart = os.loadavg()[0] ?? 0;

/** True when the command line asks for bench/RESULTS.md to be rewritten. */
export function resultsRequested(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--write-results');
}

/** The machine in one line: cores, CPU model, OS, Node, load when the run started. */
export function machineLine(): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return (
    `${cpus.length} cores (${model}), ${os.type()} ${os.release()}, Node ${process.version}, ` +
    `load average ${loadAtStart.toFixed(1)} when the run started`
  );
}

/** `text` with the section `name` replaced by `body`; throws when the markers are missing. */
export function replaceSection(text: string, name: BenchName, body: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${RESULTS_FILE} has no ${start} ... ${end} section`);
  return `${text.slice(0, from + start.length)}\n${body.trim()}\n${text.slice(to)}`;
}

/** Rewrites the section `name` of bench/RESULTS.md with `body` (Markdown). */
export async function writeResults(name: BenchName, body: string): Promise<void> {
  const text = await readFile(RESULTS_FILE, 'utf8');
  await writeFile(RESULTS_FILE, replaceSection(text, name, body));
  process.stdout.write(`\nwrote the ${name} section of ${RESULTS_FILE}\n`);
}
