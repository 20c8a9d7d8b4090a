import { z } from 'zod';
import { e164 } from './common.ts';

const description = z.string().max(500).nullable();

export const didCreate = z.strictObject({
  number: e164,
  departmentId: z.uuid(),
  description: description.optional(),
});

export const didPatch = didCreate.partial();

export const didView = z.object({
  id: z.uuid(),
  number: e164,
  departmentId: z.uuid(),
  description,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const didListQuery = z.strictObject({ departmentId: z.uuid().optional() });
