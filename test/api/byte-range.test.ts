/** Range headers (RFC 9110 §14) for the voicemail audio: one range, suffixes, what is ignored, 416. */
import { expect, it } from 'vitest';
import { byteRange } from '../../src/api/http/byte-range.ts';

it('answers a single range, an open range and a suffix', () => {
  expect(byteRange('bytes=0-43', 1000)).toEqual({ kind: 'part', start: 0, end: 43 });
  expect(byteRange('bytes=900-', 1000)).toEqual({ kind: 'part', start: 900, end: 999 });
  expect(byteRange('bytes=990-5000', 1000)).toEqual({ kind: 'part', start: 990, end: 999 });
  expect(byteRange('bytes=-100', 1000)).toEqual({ kind: 'part', start: 900, end: 999 });
  expect(byteRange('bytes=-5000', 1000)).toEqual({ kind: 'part', start: 0, end: 999 });
});

it('sends the whole file for no header, other units, several ranges or nonsense', () => {
  for (const h of [undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-2', 'bytes=-', 'garbage']) {
    expect(byteRange(h, 1000), String(h)).toEqual({ kind: 'whole' });
  }
});

it('finds ranges past the end unsatisfiable', () => {
  expect(byteRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
  expect(byteRange('bytes=5000-6000', 1000)).toEqual({ kind: 'unsatisfiable' });
  expect(byteRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
  expect(byteRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
});
