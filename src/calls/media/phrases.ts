/**
 * What a waiting caller is told, as a list of prompt files to play in order.
 * Pure: a prompt name becomes a path through `PromptFolder`, nothing here
 * touches the file system (in production the files live on the media
 * server's host, not this one).
 */
import { WEEKDAY_NAMES } from './phrase-text.ts';

/** A folder of prompts named as in `phrase-text.ts`. */
export interface PromptFolder {
  /** Absolute folder path as the media server sees it. */
  readonly dir: string;
}

export function promptPath(folder: PromptFolder, name: string): string {
  return `${folder.dir.replace(/\/+$/, '')}/${name}.wav`;
}

/** Prompt names for 0-999, e.g. 123 -> one hundred twenty three. */
export function numberWords(n: number): string[] {
  if (!Number.isInteger(n) || n < 0 || n > 999) throw new RangeError(`cannot speak ${n}`);
  if (n === 0) return ['n-0'];
  const words: string[] = [];
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds > 0) words.push(`n-${hundreds}`, 'n-hundred');
  if (rest === 0) return words;
  if (rest < 20) words.push(`n-${rest}`);
  else {
    words.push(`n-${Math.floor(rest / 10) * 10}`);
    if (rest % 10 > 0) words.push(`n-${rest % 10}`);
  }
  return words;
}

/** Largest position and wait (minutes) we speak; beyond it we say this maximum. */
export const MAX_SPOKEN = 999;

/**
 * "You are caller number 3. Your expected wait is about 2 minutes."
 * The wait is rounded to whole minutes (at least one once it is 30 s or more);
 * under 30 s it is "less than a minute"; with no estimate (nobody serves the
 * department) the wait sentence is left out rather than guessed.
 */
export function positionPrompts(position: number, expectedWaitS: number | null): string[] {
  const names = ['caller-number', ...numberWords(Math.min(Math.max(1, position), MAX_SPOKEN))];
  if (expectedWaitS === null) return names;
  const minutes = Math.min(Math.round(expectedWaitS / 60), MAX_SPOKEN);
  if (minutes < 1) return [...names, 'wait-under-minute'];
  return [...names, 'expected-wait', ...numberWords(minutes), minutes === 1 ? 'minute' : 'minutes'];
}

/** "To leave the queue at any time, press star." */
export function exitHintPrompts(key: string): string[] {
  const word =
    key === '*' ? 'key-star' : key === '#' ? 'key-pound' : /^[0-9]$/.test(key) ? `n-${key}` : null;
  if (word === null) throw new RangeError(`not a DTMF key: ${key}`);
  return ['exit-hint', word];
}

/** The next opening as the department's local clock shows it. */
export interface LocalOpening {
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
  /** Minutes after local midnight. */
  minutes: number;
  /** Local days from today (0 = later today, 1 = tomorrow). */
  daysAhead: number;
}

/** 9:00 -> nine a.m.; 14:30 -> two thirty p.m.; 9:05 -> nine oh five a.m. */
export function clockWords(minutes: number): string[] {
  const h = Math.floor(minutes / 60) % 24;
  const m = Math.floor(minutes % 60);
  if (m === 0 && h === 12) return ['noon'];
  if (m === 0 && h === 0) return ['midnight'];
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const words = numberWords(h12);
  if (m > 0) {
    if (m < 10) words.push('oh');
    words.push(...numberWords(m));
  }
  words.push(h < 12 ? 'am' : 'pm');
  return words;
}

/**
 * "We are open again on Monday at 9 a.m." ("today" / "tomorrow" when near).
 * Without a known opening (always closed) it says only that we will open later.
 */
export function openingPrompts(opening: LocalOpening | null): string[] {
  if (opening === null) return ['open-later'];
  const day =
    opening.daysAhead === 0
      ? ['today']
      : opening.daysAhead === 1
        ? ['tomorrow']
        : ['on', WEEKDAY_NAMES[opening.weekday] ?? 'monday'];
  return ['open-again', ...day, 'at', ...clockWords(opening.minutes)];
}
