import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from '../../src/api/csv.ts';

describe('CSV cells', () => {
  it('quotes separators, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvRow(['x', 1, null, undefined, true])).toBe('x,1,,,true\r\n');
  });

  it('writes dates as ISO 8601', () => {
    expect(csvCell(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05.000Z');
  });

  it('defuses text that a spreadsheet would run as a formula, keeps plain numbers', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('+49 30 123')).toBe("'+49 30 123");
    expect(csvCell('+4930123456')).toBe('+4930123456');
    expect(csvCell('-12.5')).toBe('-12.5');
    expect(csvCell(-3)).toBe('-3');
  });
});
