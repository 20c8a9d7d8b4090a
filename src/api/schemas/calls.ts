import { z } from 'zod';
import { ATTEMPT_RESULTS, CALL_OUTCOMES } from '../../store/call-vocabulary.ts';
import { isoDateTime } from './common.ts';

const toDate = (s: string) => new Date(s);

const timeRange = {
  /** Inclusive start (ISO 8601 with offset). */
  from: isoDateTime.transform(toDate).optional(),
  /** Exclusive end. */
  to: isoDateTime.transform(toDate).optional(),
};

const pageParams = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(500).optional(),
};

const rangeInOrder = (v: { from?: Date | undefined; to?: Date | undefined }) =>
  v.from === undefined || v.to === undefined || v.from < v.to;
const rangeProblem = { message: 'must be after from', path: ['to'] };

export const callOutcome = z.enum(CALL_OUTCOMES);
export const attemptResult = z.enum(ATTEMPT_RESULTS);

const callFilters = {
  ...timeRange,
  departmentId: z.uuid().optional(),
  /** The agent who answered. */
  agentId: z.uuid().optional(),
  /** An outcome, or `live` for calls still in progress. */
  outcome: z.enum([...CALL_OUTCOMES, 'live']).optional(),
  /** The caller's number exactly as received. */
  caller: z.string().min(1).max(200).optional(),
};

export const callListQuery = z
  .strictObject({ ...callFilters, ...pageParams })
  .refine(rangeInOrder, rangeProblem);

/** The CSV export takes the list's filters and returns every match (no paging). */
export const callExportQuery = z.strictObject(callFilters).refine(rangeInOrder, rangeProblem);

export const attemptListQuery = z
  .strictObject({
    ...timeRange,
    callId: z.string().min(1).max(200).optional(),
    agentId: z.uuid().optional(),
    result: attemptResult.optional(),
    ...pageParams,
  })
  .refine(rangeInOrder, rangeProblem);

export const attemptView = z.object({
  id: z.string(),
  callId: z.string(),
  agentId: z.uuid(),
  device: z.string(),
  startedAt: isoDateTime,
  endedAt: isoDateTime.nullable(),
  result: attemptResult.nullable(),
  ringS: z.number().nullable(),
});

export const callView = z.object({
  id: z.string(),
  caller: z.string(),
  dialledNumber: z.string(),
  departmentId: z.uuid().nullable(),
  arrivedAt: isoDateTime,
  answeredAt: isoDateTime.nullable(),
  endedAt: isoDateTime.nullable(),
  agentId: z.uuid().nullable(),
  outcome: callOutcome.nullable(),
  /** `callback`: the caller asked to be called back, kept its place and hung up. */
  kind: z.enum(['inbound', 'callback']),
  waitS: z.number().nullable(),
  talkS: z.number().nullable(),
  /** The router's explanation: strategy, candidates, the chosen agent, why others were skipped. */
  routing: z.unknown(),
  lastEventId: z.number().int(),
});

export const callDetailView = callView.extend({
  attempts: z.array(attemptView),
  /** The voicemail the caller left (GET /api/voicemails/{id}), or null. */
  voicemailId: z.uuid().nullable(),
});

export function cursorPage<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
