import { z } from 'zod';
import { isoDateTime } from './common.ts';

const priority = z.number().int().min(1).max(100);

export const membershipCreate = z.strictObject({
  agentId: z.uuid(),
  departmentId: z.uuid(),
  /** 1 = highest ... 100 = lowest; default 50. */
  priority: priority.optional(),
  /** The agent's calls on/off toggle for this department; default true. */
  callsEnabled: z.boolean().optional(),
});

export const membershipPatch = z.strictObject({ priority, callsEnabled: z.boolean() }).partial();

export const membershipView = z.object({
  id: z.uuid(),
  agentId: z.uuid(),
  departmentId: z.uuid(),
  priority,
  callsEnabled: z.boolean(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const membershipListQuery = z.strictObject({
  agentId: z.uuid().optional(),
  departmentId: z.uuid().optional(),
});
