import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AllowListSyntaxError,
  isE164,
  MobileAllowList,
  parseAllowPattern,
} from '../../src/calls/dialer/mobile-allow-list.ts';

describe('allow-list patterns', () => {
  it.each([
    ['+493012345678', { kind: 'exact', number: '+493012345678' }],
    ['  +4930* ', { kind: 'prefix', prefix: '+4930' }],
    ['+1*', { kind: 'prefix', prefix: '+1' }],
    ['+*', { kind: 'prefix', prefix: '+' }],
    ['+123456789012345*', { kind: 'prefix', prefix: '+123456789012345' }],
  ])('parses %j', (text, expected) => {
    expect(parseAllowPattern(text)).toMatchObject(expected);
  });

  it.each([
    ['', 'empty'],
    ['*', 'bare wildcard'],
    ['4930*', 'no +'],
    ['030123456', 'national format'],
    ['+49 30 123', 'spaces'],
    ['+49-30-123', 'dashes'],
    ['+49(30)123', 'brackets'],
    ['+49*30', '* in the middle'],
    ['+4930**', 'two stars'],
    ['+0301234*', 'leading zero'],
    ['+4930?', 'other wildcard'],
    ['+1234567890123456', '16 digits'],
    ['+1234567890123456*', 'prefix with 16 digits'],
    ['+4', 'one digit only'],
  ])('refuses %j (%s)', (text) => {
    expect(() => parseAllowPattern(text)).toThrow(AllowListSyntaxError);
  });

  it('names the bad pattern in the error', () => {
    expect(() => MobileAllowList.parse(['+4930*', '+49 x'])).toThrow(/"\+49 x"/);
  });
});

describe('MobileAllowList', () => {
  const list = MobileAllowList.parse(['+4930*', '+441632960001']);

  it('allows numbers under a prefix and exact numbers', () => {
    expect(list.allows('+493012345678')).toBe(true);
    expect(list.match('+493012345678')?.text).toBe('+4930*');
    expect(list.allows('+441632960001')).toBe(true);
  });

  it('refuses other numbers, near misses and anything not E.164', () => {
    expect(list.allows('+4940123456')).toBe(false);
    expect(list.allows('+441632960002')).toBe(false);
    expect(list.allows('+44163296000')).toBe(false);
    expect(list.allows('493012345678')).toBe(false);
    expect(list.allows('+4930 123')).toBe(false);
    expect(list.allows('+4930123;phone-context=x')).toBe(false);
  });

  it('+* allows every E.164 number but nothing else', () => {
    const all = MobileAllowList.parse(['+*']);
    expect(all.allows('+12025550123')).toBe(true);
    expect(all.allows('12025550123')).toBe(false);
  });

  it('parseLenient leaves out bad patterns and reports them', () => {
    const bad: string[] = [];
    const lenient = MobileAllowList.parseLenient(['+4930*', '*', '+49 40'], (e) =>
      bad.push(e.pattern),
    );
    expect(bad).toEqual(['*', '+49 40']);
    expect(lenient.allows('+49301')).toBe(true);
    expect(lenient.allows('+49401')).toBe(false);
  });

  it('allows nothing when empty', () => {
    expect(MobileAllowList.empty.allows('+493012345678')).toBe(false);
  });

  it('property: a prefix allows exactly the E.164 numbers that start with it', () => {
    const digits = (min: number, max: number) =>
      fc
        .array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max })
        .map((d) => d.join(''));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        digits(0, 6),
        digits(0, 14),
        (first, rest, number) => {
          const prefix = `+${first}${rest}`;
          const candidate = `+${first}${number}`;
          const allowed = MobileAllowList.parse([`${prefix}*`]).allows(candidate);
          expect(allowed).toBe(isE164(candidate) && candidate.startsWith(prefix));
        },
      ),
    );
  });
});

describe('agreement with the database constraint', () => {
  it('property: a pattern parses exactly when mobile_allow_list_pattern_check accepts it', () => {
    const sql = readFileSync(new URL('../../sql/0001_configuration.sql', import.meta.url), 'utf8');
    const m = /mobile_allow_list_pattern_check CHECK \(pattern ~ '([^']+)'\)/.exec(sql);
    expect(m).not.toBeNull();
    const constraint = new RegExp(m?.[1] as string);
    const parses = (text: string) => {
      try {
        parseAllowPattern(text);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom('+', '*', '0', '1', '4', '9', ' '), { maxLength: 18 })
          .map((c) => c.join('')),
        (text) => {
          // The API trims input before storing; compare on trimmed text.
          const t = text.trim();
          expect(parses(t)).toBe(constraint.test(t));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
