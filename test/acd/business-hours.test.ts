import { describe, expect, it } from 'vitest';
import { isOpen, localTime, nextLocalMidnight } from '../../src/acd/index.ts';

const weekdays = [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' }));

describe('business hours', () => {
  it('follow local time across the spring DST change (Europe/Berlin, 2026-03-29)', () => {
    // Friday 27 March: CET (UTC+1): 08:30 UTC = 09:30 local, open.
    expect(isOpen(weekdays, [], 'Europe/Berlin', Date.UTC(2026, 2, 27, 8, 30))).toBe(true);
    // Monday 30 March: CEST (UTC+2): 07:30 UTC = 09:30 local, open; 07:30 UTC in winter would be 08:30.
    expect(isOpen(weekdays, [], 'Europe/Berlin', Date.UTC(2026, 2, 30, 7, 30))).toBe(true);
    expect(isOpen(weekdays, [], 'Europe/Berlin', Date.UTC(2026, 2, 30, 6, 59))).toBe(false);
    // Closing: 15:00 UTC = 17:00 CEST, closed.
    expect(isOpen(weekdays, [], 'Europe/Berlin', Date.UTC(2026, 2, 30, 15, 0))).toBe(false);
    expect(isOpen(weekdays, [], 'Europe/Berlin', Date.UTC(2026, 2, 30, 14, 59))).toBe(true);
  });

  it('follow local time across the autumn DST change (America/New_York, 2026-11-01)', () => {
    // Friday 30 Oct, EDT (UTC-4): 13:00 UTC = 09:00 local.
    expect(isOpen(weekdays, [], 'America/New_York', Date.UTC(2026, 9, 30, 13, 0))).toBe(true);
    // Monday 2 Nov, EST (UTC-5): 13:00 UTC = 08:00 local, still closed; 14:00 UTC opens.
    expect(isOpen(weekdays, [], 'America/New_York', Date.UTC(2026, 10, 2, 13, 0))).toBe(false);
    expect(isOpen(weekdays, [], 'America/New_York', Date.UTC(2026, 10, 2, 14, 0))).toBe(true);
  });

  it('are closed on weekends, holidays (local date) and with an empty list', () => {
    expect(isOpen(weekdays, [], 'UTC', Date.UTC(2026, 0, 3, 12))).toBe(false); // Saturday
    // 23:30 UTC on 31 Dec is already 1 January in Berlin.
    expect(localTime('Europe/Berlin', Date.UTC(2025, 11, 31, 23, 30)).date).toBe('2026-01-01');
    expect(isOpen(null, ['2026-01-01'], 'Europe/Berlin', Date.UTC(2025, 11, 31, 23, 30))).toBe(
      false,
    );
    expect(isOpen(null, ['2026-01-01'], 'UTC', Date.UTC(2025, 11, 31, 23, 30))).toBe(true);
    expect(isOpen([], [], 'UTC', Date.UTC(2026, 0, 5, 12))).toBe(false);
    expect(isOpen(null, [], 'UTC', Date.UTC(2026, 0, 5, 12))).toBe(true);
  });

  it('allow 24:00 as the end of the day', () => {
    const late = [{ day: 1, open: '20:00', close: '24:00' }];
    expect(isOpen(late, [], 'UTC', Date.UTC(2026, 0, 5, 23, 59, 59))).toBe(true);
    expect(isOpen(late, [], 'UTC', Date.UTC(2026, 0, 6, 0, 0))).toBe(false);
  });

  it('find the next local midnight on 23- and 25-hour days', () => {
    expect(nextLocalMidnight('UTC', Date.UTC(2026, 0, 5, 10))).toBe(Date.UTC(2026, 0, 6));
    // Berlin, 29 March 2026 has 23 hours: midnight of the 30th is 22:00 UTC on the 29th.
    expect(nextLocalMidnight('Europe/Berlin', Date.UTC(2026, 2, 29, 0, 30))).toBe(
      Date.UTC(2026, 2, 29, 22),
    );
    // Berlin, 25 October 2026 has 25 hours: midnight of the 26th is 23:00 UTC on the 25th.
    expect(nextLocalMidnight('Europe/Berlin', Date.UTC(2026, 9, 25, 1))).toBe(
      Date.UTC(2026, 9, 25, 23),
    );
  });
});
