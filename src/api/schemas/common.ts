/** Schemas shared by several resources. */
import { z } from 'zod';

export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number: + then 2 to 15 digits, e.g. +4930123456');

/** ISO 8601 date-time with an offset, e.g. 2026-05-01T09:00:00Z. */
export const isoDateTime = z.iso.datetime({ offset: true });

export const localDate = z.iso.date();

/** 'HH:MM', 24-hour clock; '24:00' allowed as an end of day. */
export const clockTime = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00 to 24:00)');

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');

/** Query-string booleans: only the words true and false. */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');
