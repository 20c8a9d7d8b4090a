import { openSync, readSync, closeSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextOpening } from '../../../src/acd/model/next-opening.ts';
import { promptFileNames } from '../../../src/calls/media/phrase-text.ts';
import {
  clockWords,
  exitHintPrompts,
  numberWords,
  openingPrompts,
  positionPrompts,
  promptPath,
} from '../../../src/calls/media/phrases.ts';

describe('numberWords', () => {
  it.each([
    [1, ['n-1']],
    [13, ['n-13']],
    [20, ['n-20']],
    [42, ['n-40', 'n-2']],
    [100, ['n-1', 'n-hundred']],
    [115, ['n-1', 'n-hundred', 'n-15']],
    [999, ['n-9', 'n-hundred', 'n-90', 'n-9']],
  ])('%i', (n, words) => expect(numberWords(n)).toEqual(words));

  it('refuses what it cannot say', () => {
    expect(() => numberWords(1000)).toThrow(RangeError);
    expect(() => numberWords(1.5)).toThrow(RangeError);
  });

  it('every number 0-999 uses only shipped prompt names', () => {
    const names = new Set(promptFileNames());
    for (let n = 0; n <= 999; n++) for (const w of numberWords(n)) expect(names).toContain(w);
  });
});

describe('positionPrompts', () => {
  it('says position and wait in minutes', () => {
    expect(positionPrompts(3, 120)).toEqual([
      'caller-number',
      'n-3',
      'expected-wait',
      'n-2',
      'minutes',
    ]);
  });
  it('one minute is singular, under half a minute is "less than a minute"', () => {
    expect(positionPrompts(1, 75).slice(-2)).toEqual(['n-1', 'minute']);
    expect(positionPrompts(1, 20)).toEqual(['caller-number', 'n-1', 'wait-under-minute']);
  });
  it('leaves out the wait when there is no estimate', () => {
    expect(positionPrompts(7, null)).toEqual(['caller-number', 'n-7']);
  });
  it('caps what it says at 999', () => {
    expect(positionPrompts(5000, 999_999)).toEqual([
      'caller-number',
      ...numberWords(999),
      'expected-wait',
      ...numberWords(999),
      'minutes',
    ]);
  });
});

describe('exit hint and clock', () => {
  it('names the key', () => {
    expect(exitHintPrompts('*')).toEqual(['exit-hint', 'key-star']);
    expect(exitHintPrompts('#')).toEqual(['exit-hint', 'key-pound']);
    expect(exitHintPrompts('0')).toEqual(['exit-hint', 'n-0']);
    expect(() => exitHintPrompts('A')).toThrow(RangeError);
  });
  it.each([
    [9 * 60, ['n-9', 'am']],
    [14 * 60 + 30, ['n-2', 'n-30', 'pm']],
    [8 * 60 + 5, ['n-8', 'oh', 'n-5', 'am']],
    [12 * 60, ['noon']],
    [0, ['midnight']],
    [12 * 60 + 15, ['n-12', 'n-15', 'pm']],
  ])('%i minutes', (m, words) => expect(clockWords(m)).toEqual(words));
});

describe('opening time, from the department hours to the words', () => {
  const weekdays = [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' }));
  // Friday 2026-12-04 18:30 in Berlin (UTC+1).
  const fridayEvening = Date.parse('2026-12-04T17:30:00Z');

  it('Friday evening -> Monday at 9 a.m.', () => {
    const o = nextOpening(weekdays, [], 'Europe/Berlin', fridayEvening);
    expect(o).toEqual({ date: '2026-12-07', weekday: 1, minutes: 540, daysAhead: 3 });
    expect(openingPrompts(o)).toEqual(['open-again', 'on', 'monday', 'at', 'n-9', 'am']);
  });

  it('a holiday on Monday moves it to Tuesday', () => {
    const o = nextOpening(weekdays, ['2026-12-07'], 'Europe/Berlin', fridayEvening);
    expect(o?.date).toBe('2026-12-08');
    expect(openingPrompts(o)).toEqual(['open-again', 'on', 'tuesday', 'at', 'n-9', 'am']);
  });

  it('early morning -> today; after closing on a weekday -> tomorrow', () => {
    const early = Date.parse('2026-12-08T05:00:00Z'); // Tuesday 06:00 Berlin
    expect(openingPrompts(nextOpening(weekdays, [], 'Europe/Berlin', early))).toEqual([
      'open-again',
      'today',
      'at',
      'n-9',
      'am',
    ]);
    const late = Date.parse('2026-12-08T20:00:00Z'); // Tuesday 21:00 Berlin
    expect(openingPrompts(nextOpening(weekdays, [], 'Europe/Berlin', late))).toEqual([
      'open-again',
      'tomorrow',
      'at',
      'n-9',
      'am',
    ]);
  });

  it('the time zone is the department one (New York, 8:30 local)', () => {
    const hours = [{ day: 1, open: '08:30', close: '12:00' }];
    // Sunday 2026-12-06 23:00 UTC = 18:00 in New York.
    const o = nextOpening(hours, [], 'America/New_York', Date.parse('2026-12-06T23:00:00Z'));
    expect(o).toMatchObject({ weekday: 1, minutes: 510, daysAhead: 1 });
    expect(openingPrompts(o)).toEqual(['open-again', 'tomorrow', 'at', 'n-8', 'n-30', 'am']);
  });

  it('a second interval later the same day counts', () => {
    const split = [
      { day: 2, open: '09:00', close: '12:00' },
      { day: 2, open: '14:00', close: '18:00' },
    ];
    const lunch = Date.parse('2026-12-08T12:30:00Z'); // Tuesday 13:30 Berlin
    expect(nextOpening(split, [], 'Europe/Berlin', lunch)).toMatchObject({
      minutes: 14 * 60,
      daysAhead: 0,
    });
  });

  it('never open: no opening, and the prompt says only "later"', () => {
    expect(nextOpening([], [], 'UTC', fridayEvening)).toBeNull();
    expect(openingPrompts(null)).toEqual(['open-later']);
  });

  it('always open but a holiday today -> tomorrow at midnight', () => {
    const o = nextOpening(null, ['2026-12-04'], 'UTC', Date.parse('2026-12-04T10:00:00Z'));
    expect(o).toEqual({ date: '2026-12-05', weekday: 6, minutes: 0, daysAhead: 1 });
  });
});

describe('the shipped prompt folder', () => {
  const dir = resolve('media/prompts/en');
  it('holds every prompt as 8 kHz 16-bit mono PCM WAV', () => {
    for (const name of promptFileNames()) {
      const path = promptPath({ dir }, name);
      expect(existsSync(path), path).toBe(true);
      const fd = openSync(path, 'r');
      const h = Buffer.alloc(44);
      readSync(fd, h, 0, 44, 0);
      closeSync(fd);
      expect(h.toString('ascii', 0, 4)).toBe('RIFF');
      expect(h.readUInt16LE(20), `${name} format`).toBe(1); // PCM
      expect(h.readUInt16LE(22), `${name} channels`).toBe(1);
      expect(h.readUInt32LE(24), `${name} rate`).toBe(8000);
      expect(h.readUInt16LE(34), `${name} bits`).toBe(16);
    }
  });
});

describe('SIP INFO DTMF', () => {
  it('reads application/dtmf-relay and application/dtmf bodies', async () => {
    const { dtmfRelayDigit } = await import('../../../src/calls/sip/dtmf-relay.ts');
    expect(dtmfRelayDigit('application/dtmf-relay', 'Signal=*\r\nDuration=160\r\n')).toBe('*');
    expect(dtmfRelayDigit('Application/DTMF-Relay; x=1', 'Signal= 5\r\nDuration=100')).toBe('5');
    expect(dtmfRelayDigit('application/dtmf-relay', 'Signal=11\r\n')).toBe('#');
    expect(dtmfRelayDigit('application/dtmf', '#')).toBe('#');
    expect(dtmfRelayDigit('application/dtmf-relay', 'Duration=160\r\n')).toBeNull();
    expect(dtmfRelayDigit('text/plain', 'Signal=1')).toBeNull();
    expect(dtmfRelayDigit(undefined, 'Signal=1')).toBeNull();
    expect(dtmfRelayDigit('application/dtmf-relay', 'Signal=X')).toBeNull();
  });
});
