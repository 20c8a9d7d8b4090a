/**
 * The house rules of src/, read from the import statements: imports follow
 * the layers, no files or folders import each other in a circle, no file
 * grows past the length where it starts doing two jobs, and docs/house.md
 * shows the folders as they are.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  circles,
  fileGraph,
  folderGraph,
  HOUSE_DOC,
  houseDoc,
  layerViolations,
  MAX_FILE_LINES,
  readSources,
  SRC_DIR,
} from '../scripts/house.ts';

const sources = readSources(SRC_DIR);

describe('the house', () => {
  it('reads the source tree', () => {
    expect(sources.length).toBeGreaterThan(100);
    const engine = sources.find((s) => s.file === 'app/main.ts');
    expect(engine?.imports.length).toBeGreaterThan(0);
  });

  it('imports point downwards through the layers', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  it('has no import circle between files', () => {
    expect(circles(fileGraph(sources))).toEqual([]);
  });

  it('has no import circle between folders', () => {
    expect(circles(folderGraph(sources))).toEqual([]);
  });

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = sources
      .filter((s) => s.lines > MAX_FILE_LINES)
      .map((s) => `${s.file}: ${s.lines}`);
    expect(long).toEqual([]);
  });

  it('keeps docs/house.md current (npm run house -- --write)', () => {
    expect(readFileSync(HOUSE_DOC, 'utf8')).toBe(houseDoc(sources));
  });
});

describe('the checks themselves', () => {
  it('find a circle and a layer violation in a made-up tree', () => {
    const made = [
      { file: 'calls/a.ts', lines: 1, imports: ['calls/b/b.ts', 'media/m.ts'] },
      { file: 'calls/b/b.ts', lines: 1, imports: ['calls/a.ts'] },
      { file: 'media/m.ts', lines: 1, imports: [] },
    ];
    expect(layerViolations(made)).toEqual(['calls/a.ts -> media/m.ts']);
    expect(circles(fileGraph(made))).toEqual([['calls/a.ts', 'calls/b/b.ts']]);
    expect(circles(folderGraph(made))).toEqual([['calls', 'calls/b']]);
  });
});
