import { localTime, nextLocalMidnight, parseClock } from './business-hours.ts';
import type { WeeklyHours } from './types.ts';

/** When a closed department opens next, as its own local clock shows it. */
export interface NextOpening {
  /** Local date 'YYYY-MM-DD'. */
  date: string;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
  /** Minutes after local midnight. */
  minutes: number;
  /** Local days after the day of `at` (0 = the same day, 1 = the next). */
  daysAhead: number;
}

/** Holidays are whole days, so a year of them is the longest closure we look through. */
const HORIZON_DAYS = 370;

/**
 * The first opening at or after `at` in the department's time zone, holidays
 * skipped; null when the department never opens (an empty week, or holidays
 * covering the whole horizon). If it is open at `at`, that is the answer.
 */
export function nextOpening(
  hours: readonly WeeklyHours[] | null,
  holidays: readonly string[],
  timeZone: string,
  at: number,
): NextOpening | null {
  if (hours !== null && hours.length === 0) return null;
  const closedDays = new Set(holidays);
  let dayStart = at;
  for (let k = 0; k <= HORIZON_DAYS; k++) {
    const t = localTime(timeZone, dayStart);
    if (!closedDays.has(t.date)) {
      const from = k === 0 ? t.minutes : 0;
      const opening = firstOpeningMinute(hours, t.weekday, from);
      if (opening !== null) {
        return { date: t.date, weekday: t.weekday, minutes: opening, daysAhead: k };
      }
    }
    dayStart = nextLocalMidnight(timeZone, dayStart);
  }
  return null;
}

/** The earliest minute >= `from` on `weekday` at which some interval is open. */
function firstOpeningMinute(
  hours: readonly WeeklyHours[] | null,
  weekday: number,
  from: number,
): number | null {
  if (hours === null) return from;
  let best: number | null = null;
  for (const h of hours) {
    if (h.day !== weekday) continue;
    const open = parseClock(h.open);
    const close = parseClock(h.close);
    if (close <= from || close <= open) continue;
    const candidate = Math.max(open, from);
    if (best === null || candidate < best) best = candidate;
  }
  return best;
}
