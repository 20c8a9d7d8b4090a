/**
 * Where this process's resident memory is, from Linux's /proc/self/smaps
 * (null elsewhere): each mapping's resident size, sorted by what it holds.
 *
 * - WASM memory: the mapping of exactly the size PGlite's memory has (V8
 *   maps a WASM memory's usable part as one read-write mapping).
 * - malloc: glibc's main heap (`[heap]`) and its other arenas, anonymous
 *   mappings that start on a 64 MB boundary (glibc aligns each arena's heap
 *   to its 64 MB maximum size).
 * - files: the node binary, shared libraries, anything else mapped from a file.
 * - the rest of the anonymous memory: V8's heaps (every thread's isolate),
 *   compiled code (also PGlite's WASM), thread stacks, and malloc blocks
 *   large enough for a mapping of their own.
 */
import { readFile } from 'node:fs/promises';

export interface ResidentParts {
  wasmBytes: number;
  mallocBytes: number;
  fileBytes: number;
  otherAnonymousBytes: number;
}

const ARENA_ALIGNMENT = 64 * 2 ** 20;
const MAPPING = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/;

/** `wasmSize`: the byte length of PGlite's WASM memory (0: none). */
export async function residentParts(wasmSize: number): Promise<ResidentParts | null> {
  let text: string;
  try {
    text = await readFile('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const parts: ResidentParts = {
    wasmBytes: 0,
    mallocBytes: 0,
    fileBytes: 0,
    otherAnonymousBytes: 0,
  };
  let kind: keyof ResidentParts = 'otherAnonymousBytes';
  for (const line of text.split('\n')) {
    const m = MAPPING.exec(line);
    if (m) {
      const start = Number.parseInt(m[1] as string, 16);
      const size = Number.parseInt(m[2] as string, 16) - start;
      const name = m[4] as string;
      if (name.startsWith('/')) kind = 'fileBytes';
      else if (name === '[heap]') kind = 'mallocBytes';
      else if (name !== '') kind = 'otherAnonymousBytes';
      else if (wasmSize > 0 && size === wasmSize && m[3] === 'rw-p') kind = 'wasmBytes';
      else if (start % ARENA_ALIGNMENT === 0 && size <= ARENA_ALIGNMENT) kind = 'mallocBytes';
      else kind = 'otherAnonymousBytes';
    } else if (line.startsWith('Rss:')) {
      parts[kind] += Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return parts;
}
