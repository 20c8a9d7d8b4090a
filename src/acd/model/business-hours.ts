import type { WeeklyHours } from './types.ts';

/**
 * Business hours in a department's own time zone. Local wall-clock time comes
 * from Intl.DateTimeFormat, so daylight-saving changes move the opening
 * instant with the clocks: "09:00-17:00" stays 09:00-17:00 local on both
 * sides of a change (and a day with a skipped or repeated hour is still
 * judged by the local clock reading).
 */
export interface LocalTime {
  /** 'YYYY-MM-DD' */
  date: string;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
  /** Minutes since local midnight, with seconds as a fraction. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError for an unknown time zone (used to validate configuration). */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

export function localTime(timeZone: string, at: number): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(at)) parts[p.type] = p.value;
  const hour = Number(parts.hour) % 24;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    minutes: hour * 60 + Number(parts.minute) + Number(parts.second) / 60,
  };
}

/** 'HH:MM' -> minutes since midnight; '24:00' -> 1440. */
export function parseClock(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new RangeError(`bad time of day '${hhmm}' (want HH:MM)`);
  const v = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || v > 1440) throw new RangeError(`bad time of day '${hhmm}'`);
  return v;
}

/** Whether the department is open at `at`: not a local holiday, and inside one weekly interval. */
export function isOpen(
  hours: readonly WeeklyHours[] | null,
  holidays: readonly string[],
  timeZone: string,
  at: number,
): boolean {
  if (hours === null && holidays.length === 0) return true;
  const t = localTime(timeZone, at);
  if (holidays.includes(t.date)) return false;
  if (hours === null) return true;
  return hours.some(
    (h) =>
      h.day === t.weekday && t.minutes >= parseClock(h.open) && t.minutes < parseClock(h.close),
  );
}

/** The first instant at or after `at` whose local time is 00:00 of a later local date. */
export function nextLocalMidnight(timeZone: string, at: number): number {
  const t = localTime(timeZone, at);
  let candidate = Math.floor(at / 1000) * 1000 + Math.round((1440 - t.minutes) * 60_000);
  // Across a DST change the local day is 23 or 25 hours long: correct by the clock reading.
  for (let i = 0; i < 3; i++) {
    const c = localTime(timeZone, candidate);
    if (c.date !== t.date && c.minutes < 1) break;
    const off = c.date === t.date ? 1440 - c.minutes : -c.minutes;
    candidate += Math.round(off * 60_000);
  }
  return Math.max(candidate, at + 1);
}
