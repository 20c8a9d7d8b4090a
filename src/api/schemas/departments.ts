/** Request and response schemas of departments (ranges as in sql/0001). */
import { z } from 'zod';
import { STRATEGIES } from '../../acd/model/types.ts';
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

/**
 * A path as the media server sees it: absolute, no '..' segment, no blanks or
 * '!' (the media server's list separator). Not checked for existence: in
 * production the files live on the media server's host.
 */
const PATH_RULE = 'must be an absolute path without blanks, "!" or ".." segments';
const mediaPath = z
  .string()
  .max(1024)
  .regex(/^\/[^!\s]*$/, PATH_RULE)
  .refine((p) => !/(^|\/)\.\.(\/|$)/.test(p), PATH_RULE);
const folder = mediaPath.nullable();
const wavFile = mediaPath.regex(/\.wav$/, 'must name a .wav file').nullable();

/** Ways out by the exit key: no overflow (the engine has already let the call go). */
export const keyExit = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('forward'), number: e164 }),
  z.strictObject({ kind: z.literal('voicemail') }),
  z.strictObject({ kind: z.literal('hangup') }),
]);

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
  maxCallDurationS: int().min(60).max(604_800).nullable(),
  maxWaitS: int().min(1).max(86_400).nullable(),
  maxWaitAction: queueExit,
  maxQueueLength: int().min(0).max(100_000).nullable(),
  queueFullAction: queueExit,
  noAgentAction: queueExit,
  outOfHoursAction: queueExit,
  timeZone,
  businessHours: z.array(weeklyHours).max(100).nullable(),
  holidays: z.array(localDate).max(1000),
  /** Folder with every prompt of media/prompts/en under the same names (null = shipped). */
  promptsFolder: folder,
  /** Music on hold: the .wav files of this folder in name order, looped (null = shipped). */
  mohFolder: folder,
  welcomeEnabled: z.boolean(),
  welcomePrompt: wavFile,
  outOfHoursPrompt: wavFile,
  queueFullPrompt: wavFile,
  noAgentPrompt: wavFile,
  maxWaitPrompt: wavFile,
  /** DTMF key that leaves the queue (null = none). */
  exitKey: z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']).nullable(),
  exitKeyAction: keyExit,
  /** Record every answered call (stereo WAV: caller left, agent right); callers hear that it may be. */
  recordCalls: z.boolean(),
  /** Days a call's recording is kept, then deleted by the daily retention job. */
  recordingRetentionDays: int().min(1).max(3650),
  /** Longest voicemail a caller may leave, in seconds. */
  voicemailMaxS: int().min(5).max(3600),
  /** The department's name, spoken to agents: "Call for <name>, press 1" (null = "your department"). */
  namePrompt: wavFile,
  /** DTMF digit that asks for a callback keeping the caller's place (null = no callbacks). */
  callbackKey: z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']).nullable(),
  /** Dial-outs after the first when the customer does not answer. */
  callbackRetries: int().min(0).max(10),
  /** Pause before each retry. */
  callbackRetryIntervalS: int().min(10).max(86_400),
};

/** The callback key and the exit key are different keys (when both are set in one request). */
const KEYS_DIFFER = {
  check: (d: { exitKey?: string | null; callbackKey?: string | null }) =>
    d.callbackKey === undefined ||
    d.callbackKey === null ||
    d.exitKey === undefined ||
    d.exitKey === null ||
    d.callbackKey !== d.exitKey,
  message: { message: 'must differ from the exit key', path: ['callbackKey'] },
};

const { name, ...optionalFields } = departmentFields;

export const departmentCreate = z
  .strictObject({
    name,
    ...z.object(optionalFields).partial().shape,
  })
  .refine(KEYS_DIFFER.check, KEYS_DIFFER.message);

export const departmentPatch = z
  .strictObject(departmentFields)
  .partial()
  .refine(KEYS_DIFFER.check, KEYS_DIFFER.message);

export const departmentView = z.object({
  id: z.uuid(),
  ...departmentFields,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
