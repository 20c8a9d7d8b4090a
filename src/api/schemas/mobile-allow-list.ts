import { z } from 'zod';
import { isoDateTime } from './common.ts';

/** '+4930123456' (exactly), '+4930*' (prefix) or '+*' (any number); as sql/0001 checks. */
export const allowPattern = z
  .string()
  .regex(
    /^\+([1-9][0-9]{0,14}\*|[1-9][0-9]{1,14}|\*)$/,
    "must be an E.164 number, a prefix ending in '*' (e.g. +4930*), or +*",
  );

const description = z.string().max(500).nullable();

export const allowEntryCreate = z.strictObject({
  pattern: allowPattern,
  description: description.optional(),
});

export const allowEntryPatch = allowEntryCreate.partial();

export const allowEntryView = z.object({
  id: z.uuid(),
  pattern: allowPattern,
  description,
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
