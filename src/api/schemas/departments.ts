/** Request and response schemas of departments (ranges as in sql/0001). */
import { z } from 'zod';
import { STRATEGIES } from '../../acd/types.ts';
import { clockTime, e164, localDate, timeZone } from './common.ts';

const strategy = z.enum(STRATEGIES);

export const queueExit = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('overflow'), departmentId: z.uuid() }),
  z.strictObject({ kind: z.literal('forward'), number: e164 }),
  z.strictObject({ kind: z.literal('voicemail') }),
  z.strictObject({ kind: z.literal('hangup') }),
]);

const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

export const weeklyHours = z
  .strictObject({ day: z.number().int().min(0).max(6), open: clockTime, close: clockTime })
  .refine((h) => minutes(h.open) < minutes(h.close), {
    message: 'close must be after open',
    path: ['close'],
  });

const int = () => z.number().int();

const departmentFields = {
  name: z.string().trim().min(1).max(200),
  strategy,
  ringTimeoutS: int().min(1).max(600),
  wrapUpS: int().min(0).max(3600),
  retryDelayS: int().min(0).max(3600),
  maxMissedRings: int().min(0).max(100),
  stickyWindowS: int().min(0).max(31_536_000),
  serviceLevelS: int().min(1).max(3600),
  announceIntervalS: int().min(0).max(3600),
  maxWaitS: int().min(1).max(86_400).nullable(),
  maxWaitAction: queueExit,
  maxQueueLength: int().min(0).max(100_000).nullable(),
  queueFullAction: queueExit,
  noAgentAction: queueExit,
  outOfHoursAction: queueExit,
  timeZone,
  businessHours: z.array(weeklyHours).max(100).nullable(),
  holidays: z.array(localDate).max(1000),
};

const { name, ...optionalFields } = departmentFields;

export const departmentCreate = z.strictObject({
  name,
  ...z.object(optionalFields).partial().shape,
});

export const departmentPatch = z.strictObject(departmentFields).partial();

export const departmentView = z.object({
  id: z.uuid(),
  ...departmentFields,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
