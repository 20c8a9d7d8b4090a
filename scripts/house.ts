/**
 * The drawing of the house: which folder of src/ imports which.
 *
 * `npm run house` prints the folder graph as a Mermaid flowchart;
 * `npm run house -- --write` rewrites docs/house.md with it. The checks
 * (layer direction, import circles, file length) are exported for
 * test/architecture.test.ts, which keeps the drawing current and the rules
 * kept.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which layers each layer may import (architecture: arrows point downwards). */
export const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  app: ['api', 'calls', 'media', 'edge', 'store', 'acd', 'ui'],
  api: ['store', 'acd'],
  // The browser UI may share type declarations with the API it talks to.
  ui: ['api', 'store', 'acd'],
  calls: ['store', 'acd'],
  media: ['edge'],
  edge: [],
  store: ['acd'],
  acd: [],
};

/** A file in src/ longer than this is a sign it does more than one job. */
export const MAX_FILE_LINES = 500;

export interface SourceFile {
  /** Path relative to src/, with forward slashes. */
  readonly file: string;
  readonly lines: number;
  /** Files in src/ this one imports (relative to src/). */
  readonly imports: readonly string[];
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Reads every .ts file under `srcDir` with its relative imports. */
export function readSources(srcDir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) out.push(readSource(srcDir, full));
    }
  };
  walk(srcDir);
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

function readSource(srcDir: string, full: string): SourceFile {
  const text = readFileSync(full, 'utf8');
  const imports = new Set<string>();
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec === undefined) continue;
    const target = path.relative(srcDir, path.resolve(path.dirname(full), spec));
    if (!target.startsWith('..')) imports.add(toPosix(target));
  }
  return {
    file: toPosix(path.relative(srcDir, full)),
    lines: text.split('\n').length,
    imports: [...imports].sort(),
  };
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** The layer a file belongs to: its first folder under src/. */
export const layerOf = (file: string): string => file.split('/')[0] ?? file;

/** The folder a file lives in (a layer's own files live in the layer's folder). */
export const folderOf = (file: string): string => path.posix.dirname(file);

/** Imports that go against the layers: "calls/x.ts -> media/y.ts". */
export function layerViolations(sources: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    const from = layerOf(s.file);
    for (const target of s.imports) {
      const to = layerOf(target);
      if (to === from) continue;
      const allowed = ALLOWED_IMPORTS[from];
      if (allowed === undefined || !allowed.includes(to)) out.push(`${s.file} -> ${target}`);
    }
  }
  return out;
}

/** Strongly connected components with more than one member: import circles. */
export function circles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  // Tarjan's algorithm, iterative enough for a source tree's depth.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return found;
}

/** File -> files it imports. */
export function fileGraph(sources: readonly SourceFile[]): Map<string, Set<string>> {
  return new Map(sources.map((s) => [s.file, new Set(s.imports)]));
}

/** Folder -> folders its files import (self-imports left out). */
export function folderGraph(sources: readonly SourceFile[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const s of sources) {
    const from = folderOf(s.file);
    const targets = graph.get(from) ?? new Set<string>();
    graph.set(from, targets);
    for (const t of s.imports) if (folderOf(t) !== from) targets.add(folderOf(t));
  }
  return graph;
}

/** The folder graph as a Mermaid flowchart, one subgraph per layer. */
export function drawing(sources: readonly SourceFile[]): string {
  const graph = folderGraph(sources);
  const id = (folder: string): string => folder.replace(/[^a-zA-Z0-9]/g, '_');
  const layers = Object.keys(ALLOWED_IMPORTS);
  const lines = ['flowchart TD'];
  for (const layer of layers) {
    const folders = [...graph.keys()].filter((f) => layerOf(f) === layer).sort();
    if (folders.length === 0) continue;
    lines.push(`  subgraph ${layer}`);
    for (const f of folders) lines.push(`    ${id(f)}["${f}/"]`);
    lines.push('  end');
  }
  for (const [from, targets] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    for (const to of [...targets].sort()) lines.push(`  ${id(from)} --> ${id(to)}`);
  }
  return lines.join('\n');
}

/** docs/house.md as `npm run house -- --write` writes it. */
export function houseDoc(sources: readonly SourceFile[]): string {
  return [
    '# The house: folders of src/ and their imports',
    '',
    'Generated by `npm run house -- --write` from the import statements in `src/`;',
    'test/architecture.test.ts fails when it is out of date. An arrow means "imports".',
    'The layers and what each may import are in `scripts/house.ts` (`ALLOWED_IMPORTS`);',
    'the same test checks that no import goes against them and that no files or folders',
    'import each other in a circle.',
    '',
    '```mermaid',
    drawing(sources),
    '```',
    '',
  ].join('\n');
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC_DIR = path.join(here, '..', 'src');
export const HOUSE_DOC = path.join(here, '..', 'docs', 'house.md');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sources = readSources(SRC_DIR);
  if (process.argv.includes('--write')) {
    writeFileSync(HOUSE_DOC, houseDoc(sources));
    console.log(`wrote ${path.relative(process.cwd(), HOUSE_DOC)}`);
  } else {
    console.log(drawing(sources));
  }
}
