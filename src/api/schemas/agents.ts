import { z } from 'zod';
import { e164, isoDateTime } from './common.ts';

/** The characters sql/0001 allows (RFC 3261 `user` unreserved and escaped-free). */
export const sipUsername = z
  .string()
  .regex(
    /^[A-Za-z0-9._~!$&'()*+,;=-]{1,64}$/,
    "1-64 characters: letters, digits and ._~!$&'()*+,;=-",
  );

/** Write-only: turned into digest hashes at once, never stored or returned as is. */
export const sipPassword = z.string().min(8).max(128);

export const forwardingMode = z.enum(['softphone', 'mobile', 'both', 'softphone-then-mobile']);
export const agentStatus = z.enum(['available', 'away', 'break', 'offline']);

const fields = {
  name: z.string().trim().min(1).max(200),
  sipUsername,
  /** null removes the password (the agent can no longer register). */
  password: sipPassword.nullable(),
  mobileNumber: e164.nullable(),
  forwardingMode,
  mobileDelayS: z.number().int().min(0).max(600),
  maxConcurrentCalls: z.number().int().min(1).max(100),
  mayChangeOwnStatus: z.boolean(),
  /** A mobile leg that answers is connected only after the agent presses 1 (default true). */
  confirmMobileAnswer: z.boolean(),
};

const { name, sipUsername: username, ...rest } = fields;

export const agentCreate = z.strictObject({
  name,
  sipUsername: username,
  ...z.object(rest).partial().shape,
  /** Initial status (default offline). */
  status: z.enum(['available', 'away', 'offline']).optional(),
});

export const agentPatch = z.strictObject(fields).partial();

/** Strict: an answer with any other field (a hash, say) fails the response-schema test. */
export const agentView = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  sipUsername: z.string(),
  hasSipPassword: z.boolean(),
  mobileNumber: e164.nullable(),
  forwardingMode,
  mobileDelayS: z.number().int(),
  maxConcurrentCalls: z.number().int(),
  status: agentStatus,
  statusUntil: isoDateTime.nullable(),
  statusReason: z.string().nullable(),
  mayChangeOwnStatus: z.boolean(),
  confirmMobileAnswer: z.boolean(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const agentListQuery = z.strictObject({ status: agentStatus.optional() });

export const statusChange = z
  .strictObject({
    status: agentStatus,
    /** Required for a break: when the agent becomes available again by itself. */
    until: isoDateTime.optional(),
    reason: z.string().trim().min(1).max(200).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.status === 'break' && v.until === undefined) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'is required for a break' });
    }
    if (v.status !== 'break' && v.until !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'only a break has an end time' });
    }
  });
