/**
 * The admin's allow-list of numbers that agents' mobiles may be reached at
 * through the outbound trunk: a toll-fraud guard, so a changed mobile number
 * cannot send calls to premium-rate or foreign destinations unless allowed.
 *
 * Pattern syntax (one pattern per entry, surrounding spaces ignored):
 *   +493012345678   an exact E.164 number: "+", a first digit 1-9, 1 to 15 digits in all
 *   +4930*          every E.164 number starting with +4930 (the "*" stands for
 *                   zero or more further digits, within the 15-digit limit)
 *   +*              every E.164 number: switches the guard off (not recommended;
 *                   accepted because the store's constraint accepts it)
 * Nothing else is accepted: no bare "*", no "*" in the middle, no spaces,
 * dashes or brackets, no national formats ("030…"), no other wildcards.
 * The same syntax as the CHECK constraint on `mobile_allow_list.pattern`.
 * A number is allowed when it is valid E.164 and matches at least one pattern.
 */

export class AllowListSyntaxError extends Error {
  override name = 'AllowListSyntaxError';
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`invalid allow-list pattern ${JSON.stringify(pattern)}: ${reason}`);
  }
}

export type AllowPattern =
  | { kind: 'exact'; number: string; text: string }
  | { kind: 'prefix'; prefix: string; text: string };

const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

export function parseAllowPattern(input: string): AllowPattern {
  const text = input.trim();
  if (text === '') throw new AllowListSyntaxError(input, 'empty');
  if (!text.startsWith('+')) throw new AllowListSyntaxError(input, 'must start with "+" (E.164)');
  if (text.endsWith('*')) {
    const prefix = text.slice(0, -1);
    if (!/^\+(?:[1-9]\d{0,14})?$/.test(prefix)) {
      throw new AllowListSyntaxError(
        input,
        'a prefix pattern is "+", up to 15 digits (the first not 0), then one "*"',
      );
    }
    return { kind: 'prefix', prefix, text };
  }
  if (!isE164(text)) {
    throw new AllowListSyntaxError(
      input,
      'an exact number is "+" and 2 to 15 digits, the first not 0',
    );
  }
  return { kind: 'exact', number: text, text };
}

export class MobileAllowList {
  readonly #exact = new Set<string>();
  readonly #prefixes: AllowPattern[] = [];

  private constructor(readonly patterns: readonly AllowPattern[]) {
    for (const p of patterns) {
      if (p.kind === 'exact') this.#exact.add(p.number);
      else this.#prefixes.push(p);
    }
  }

  /** Parses every pattern; throws `AllowListSyntaxError` naming the first bad one. */
  static parse(patterns: readonly string[]): MobileAllowList {
    return new MobileAllowList(patterns.map(parseAllowPattern));
  }

  /**
   * Like `parse`, but leaves out bad patterns (reporting each) instead of
   * throwing: for lists read from the database, where one bad row must not
   * stop every mobile, and leaving it out can only refuse, never allow.
   */
  static parseLenient(
    patterns: readonly string[],
    onInvalid: (error: AllowListSyntaxError) => void,
  ): MobileAllowList {
    const ok: AllowPattern[] = [];
    for (const p of patterns) {
      try {
        ok.push(parseAllowPattern(p));
      } catch (err) {
        if (!(err instanceof AllowListSyntaxError)) throw err;
        onInvalid(err);
      }
    }
    return new MobileAllowList(ok);
  }

  static readonly empty = new MobileAllowList([]);

  /** The pattern that allows `number`, or null (also for anything not E.164). */
  match(number: string): AllowPattern | null {
    if (!isE164(number)) return null;
    if (this.#exact.has(number))
      return this.patterns.find((p) => p.kind === 'exact' && p.number === number) ?? null;
    for (const p of this.#prefixes) {
      if (p.kind === 'prefix' && number.startsWith(p.prefix)) return p;
    }
    return null;
  }

  allows(number: string): boolean {
    return this.match(number) !== null;
  }
}
