import { z } from 'zod';
import { e164, isoDateTime } from './common.ts';

const note = z.string().max(500).nullable();

export const vipCallerCreate = z.strictObject({
  callerNumber: e164,
  /** An agent who takes this caller's calls first, when free. */
  dedicatedAgentId: z.uuid().nullable().optional(),
  note: note.optional(),
});

export const vipCallerPatch = vipCallerCreate.partial();

export const vipCallerView = z.object({
  id: z.uuid(),
  callerNumber: e164,
  dedicatedAgentId: z.uuid().nullable(),
  note,
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
