/** Query and answer schemas of /api/reports/* and /api/live. */
import { z } from 'zod';
import { INTERVAL_UNITS } from '../../store/report-intervals.ts';
import { AGENT_STATES } from '../live/live-view.ts';
import { isoDateTime, timeZone } from './common.ts';

const toDate = (s: string) => new Date(s);

const range = {
  /** Inclusive start (ISO 8601 with offset). */
  from: isoDateTime.transform(toDate),
  /** Exclusive end. */
  to: isoDateTime.transform(toDate),
};
const rangeInOrder = (v: { from: Date; to: Date }) => v.from < v.to;
const rangeProblem = { message: 'must be after from', path: ['to'] };

const shortAbandonS = z.coerce.number().min(0).max(3600).optional();

export const departmentReportQuery = z
  .strictObject({ ...range, departmentId: z.uuid().optional(), shortAbandonS })
  .refine(rangeInOrder, rangeProblem);

export const agentReportQuery = z
  .strictObject({ ...range, agentId: z.uuid().optional(), departmentId: z.uuid().optional() })
  .refine(rangeInOrder, rangeProblem);

export const intervalReportQuery = z
  .strictObject({
    ...range,
    unit: z.enum(INTERVAL_UNITS),
    timeZone: timeZone.optional(),
    departmentId: z.uuid().optional(),
    shortAbandonS,
  })
  .refine(rangeInOrder, rangeProblem);

const seconds = z.number().nullable();

const callFigures = {
  calls: z.number().int(),
  live: z.number().int(),
  offered: z.number().int(),
  answered: z.number().int(),
  missed: z.number().int(),
  abandoned: z.number().int(),
  shortAbandoned: z.number().int(),
  answeredWithinSl: z.number().int(),
  serviceLevel: z.number().nullable(),
  asaS: seconds,
  avgTalkS: seconds,
  ahtS: seconds,
  talkS: z.number(),
  talkMinutes: z.number(),
  longestWaitS: seconds,
  outcomes: z.record(z.string(), z.number().int()),
};

export const departmentReportView = z.object({
  departmentId: z.uuid().nullable(),
  name: z.string().nullable(),
  serviceLevelS: z.number().nullable(),
  missedRings: z.number().int(),
  ...callFigures,
});

export const agentReportView = z.object({
  agentId: z.uuid(),
  name: z.string().nullable(),
  rings: z.number().int(),
  ringsAnswered: z.number().int(),
  missedRings: z.number().int(),
  avgRingS: seconds,
  answered: z.number().int(),
  talkS: z.number(),
  talkMinutes: z.number(),
  avgTalkS: seconds,
  ahtS: seconds,
  staffedS: z.number(),
  occupancy: z.number().nullable(),
});

export const intervalReportView = z.object({
  unit: z.enum(INTERVAL_UNITS),
  timeZone: z.string(),
  intervals: z.array(z.object({ start: isoDateTime, end: isoDateTime, ...callFigures })),
});

const agentState = z.enum(AGENT_STATES);

export const liveView = z.object({
  at: isoDateTime,
  routing: z.boolean(),
  departments: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      strategy: z.string(),
      serviceLevelS: z.number(),
      waiting: z.array(
        z.object({
          callId: z.string(),
          caller: z.string(),
          position: z.number().int(),
          vip: z.boolean(),
          waitS: z.number(),
          expectedWaitS: seconds,
          ringing: z.array(z.string()),
        }),
      ),
      longestWaitS: z.number(),
      agents: z.record(agentState, z.number().int()),
      today: z.object({
        offered: z.number().int(),
        answered: z.number().int(),
        abandoned: z.number().int(),
        serviceLevel: z.number().nullable(),
        asaS: seconds,
      }),
    }),
  ),
  agents: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      state: agentState,
      timeInStateS: seconds,
      presenceReason: z.string().nullable(),
      activeCalls: z.number().int(),
      ringingCallId: z.string().nullable(),
      departments: z.array(
        z.object({ id: z.uuid(), priority: z.number().int(), callsEnabled: z.boolean() }),
      ),
    }),
  ),
  calls: z.array(
    z.object({
      callId: z.string(),
      departmentId: z.string(),
      agentId: z.string(),
      talkS: z.number(),
    }),
  ),
});
