import { describe, expect, it } from 'vitest';
import {
  isSafeHeaderValue,
  prependHeader,
  withHeader,
  withoutHeader,
} from '../../../src/edge/sip/edit.ts';
import type { SipHeader } from '../../../src/edge/sip/message.ts';

const H: SipHeader[] = [
  { name: 'v', value: 'SIP/2.0/UDP a;branch=z9hG4bK1' },
  { name: 't', value: '<sip:b@h>' },
  { name: 'Via', value: 'SIP/2.0/UDP b;branch=z9hG4bK2' },
  { name: 'Call-ID', value: 'c' },
];

describe('header list edits', () => {
  it('withoutHeader removes every spelling', () => {
    expect(withoutHeader(H, 'VIA').map((h) => h.name)).toEqual(['t', 'Call-ID']);
  });

  it('withHeader replaces in place, drops duplicates, appends when missing', () => {
    expect(withHeader(H, 'to', '<sip:b@h>;tag=x')[1]).toEqual({
      name: 't',
      value: '<sip:b@h>;tag=x',
    });
    const one = withHeader(H, 'via', 'SIP/2.0/TCP z');
    expect(one.filter((h) => h.name.toLowerCase().startsWith('v'))).toEqual([
      { name: 'v', value: 'SIP/2.0/TCP z' },
    ]);
    expect(withHeader(H, 'm', '<sip:me@h>').at(-1)).toEqual({
      name: 'Contact',
      value: '<sip:me@h>',
    });
    expect(H).toHaveLength(4); // the input is not modified
  });

  it('prependHeader puts a new top Via first', () => {
    const out = prependHeader(H, 'via', 'SIP/2.0/UDP me;branch=z9hG4bK0');
    expect(out[0]).toEqual({ name: 'Via', value: 'SIP/2.0/UDP me;branch=z9hG4bK0' });
    expect(prependHeader([], 'Route', '<sip:p;lr>')).toEqual([
      { name: 'Route', value: '<sip:p;lr>' },
    ]);
  });

  it('isSafeHeaderValue rejects line breaks, allows NUL', () => {
    expect(isSafeHeaderValue('ok value')).toBe(true);
    expect(isSafeHeaderValue('a\r\nInjected: x')).toBe(false);
    expect(isSafeHeaderValue('a\nb')).toBe(false);
    expect(isSafeHeaderValue('"a\\\0b"')).toBe(true);
  });
});
