/** Turns zod issues into the API's field/reason problems. */
import type { z } from 'zod';
import { type FieldProblem, validationError } from './errors.ts';

function joinPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

export function problemsOf(error: z.ZodError): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = joinPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: base ? `${base}.${key}` : key, reason: 'unknown field' });
      }
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ field: base, reason: 'is required' });
    } else {
      out.push({ field: base, reason: issue.message });
    }
  }
  return out;
}

/** Parses `value` or throws a 400 ApiError naming the first bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(problemsOf(result.error));
}

/**
 * The first string (or object key) holding a NUL character, as a field path.
 * Postgres text cannot store U+0000 and refuses it in any parameter, even a
 * filter, so such input is answered 400 here instead of failing in the
 * database as a 500.
 */
export function nulField(value: unknown, path: readonly string[] = []): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path.join('.') : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, v] of Object.entries(value)) {
    const here = [...path, key];
    if (key.includes('\0')) return here.join('.');
    const found = nulField(v, here);
    if (found !== null) return found;
  }
  return null;
}
