/** Command-line options of `npm run bench:acd`. */

export type Variant = 'pglite' | 'pglite-media' | 'postgres';
export const VARIANTS: readonly Variant[] = ['pglite', 'pglite-media', 'postgres'];

/** What each variant runs on, as the report's column heads say. */
export const VARIANT_TITLES: Record<Variant, string> = {
  pglite: 'PGlite, media off',
  'pglite-media': 'PGlite, media on',
  postgres: 'Postgres, media off',
};

export function arg(name: string, fallback: number, allowZero = false): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0 || (v === 0 && !allowZero)) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return v;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** `--variants pglite,postgres` (default: all three, in that order). */
export function variantsArg(): Variant[] {
  const i = process.argv.indexOf('--variants');
  if (i < 0) return [...VARIANTS];
  const names = (process.argv[i + 1] ?? '').split(',');
  const bad = names.filter((n) => !(VARIANTS as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    throw new Error(`--variants takes a list of ${VARIANTS.join(', ')}`);
  }
  return names as Variant[];
}

/** `--realtime-priority N` (0-99) replaces the configured default (sip.realtimePriority). */
export function realtimePriorityArg(): { realtimePriority?: number } {
  const i = process.argv.indexOf('--realtime-priority');
  if (i < 0) return {};
  const priority = Number(process.argv[i + 1]);
  if (!Number.isInteger(priority) || priority < 0 || priority > 99) {
    throw new Error('--realtime-priority takes 0-99');
  }
  return { realtimePriority: priority };
}

/** The ACD ladder's rates (calls/s); the first step that is not clean ends the ladder. */
const LADDER = [
  10, 20, 40, 60, 80, 100, 130, 160, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000,
  1200, 1500, 1800, 2200, 2600, 3000,
];

/** `--ladder 300,400` replaces the ladder's rates (to look at a few rates closely). */
export function ladderRates(): number[] {
  const i = process.argv.indexOf('--ladder');
  if (i < 0) return LADDER;
  const rates = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (rates.length === 0 || rates.some((r) => !Number.isInteger(r) || r <= 0)) {
    throw new Error('--ladder takes rates like 300,400');
  }
  return rates;
}
