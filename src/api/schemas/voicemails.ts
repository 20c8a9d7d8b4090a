/** Request and response schemas of voicemails (messages left at a voicemail exit). */
import { z } from 'zod';
import { isoDateTime, queryBoolean } from './common.ts';

const toDate = (s: string) => new Date(s);

export const voicemailListQuery = z
  .strictObject({
    departmentId: z.uuid().optional(),
    /** Inclusive start of when the message was left (ISO 8601 with offset). */
    from: isoDateTime.transform(toDate).optional(),
    /** Exclusive end. */
    to: isoDateTime.transform(toDate).optional(),
    heard: queryBoolean.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** `nextCursor` of the previous page. */
    cursor: z.string().min(1).max(500).optional(),
  })
  .refine((v) => v.from === undefined || v.to === undefined || v.from < v.to, {
    message: 'must be after from',
    path: ['to'],
  });

export const voicemailPatch = z
  .strictObject({
    heard: z.boolean(),
    /** The agent who should call back (null = nobody). */
    assignedAgentId: z.uuid().nullable(),
  })
  .partial()
  .refine((v) => v.heard !== undefined || v.assignedAgentId !== undefined, {
    message: 'give heard or assignedAgentId',
    path: ['heard'],
  });

export const voicemailId = z.strictObject({ id: z.uuid() });

export const voicemailView = z.object({
  id: z.uuid(),
  /** The call that left it (GET /api/calls/{callId}). */
  callId: z.string().nullable(),
  departmentId: z.uuid().nullable(),
  caller: z.string(),
  startedAt: isoDateTime,
  endedAt: isoDateTime,
  durationMs: z.number().int(),
  heard: z.boolean(),
  assignedAgentId: z.uuid().nullable(),
  createdAt: isoDateTime,
});
