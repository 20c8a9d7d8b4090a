/**
 * A department's media settings resolved to the files the media server plays.
 * Pure, apart from listing the music folder (done by the caller of
 * `resolveDepartmentMedia` and passed in).
 */
import type { ExitReason, QueueExit, WeeklyHours } from '../../acd/index.ts';
import { nextOpening } from '../../acd/model/next-opening.ts';
import { CALLBACK_PROMPTS, callbackHintPrompts } from './callback-phrases.ts';
import {
  exitHintPrompts,
  openingPrompts,
  positionPrompts,
  type PromptFolder,
  promptPath,
} from './phrases.ts';

/** What the department row says (fields of the stored department). */
export interface DepartmentMediaRow {
  id: string;
  promptsFolder: string | null;
  mohFolder: string | null;
  welcomeEnabled: boolean;
  welcomePrompt: string | null;
  outOfHoursPrompt: string | null;
  queueFullPrompt: string | null;
  noAgentPrompt: string | null;
  maxWaitPrompt: string | null;
  exitKey: string | null;
  exitKeyAction: QueueExit;
  /** DTMF digit that asks for a callback keeping the place (null = none). */
  callbackKey: string | null;
  timeZone: string;
  businessHours: WeeklyHours[] | null;
  holidays: string[];
  /** Calls of the department are recorded (absent: not). */
  recordCalls?: boolean;
  voicemailMaxS: number;
  namePrompt: string | null;
}

/** Everything a waiting caller of one department may hear, as absolute file paths. */
export interface DepartmentMedia {
  departmentId: string;
  /** Welcome, recording notice and exit-key hint, played once after the answer. */
  greeting: string[];
  /** "This call may be recorded." when the department records its calls, else empty. */
  recordingNotice: string[];
  /** Music on hold, looped in this order. */
  music: string[];
  exitKey: string | null;
  exitKeyAction: QueueExit;
  /** Position and wait, e.g. "You are caller number 3. ..." */
  position(position: number, expectedWaitS: number | null): string[];
  /** The message before an exit (out of hours with the next opening time at `now`). */
  exitMessage(reason: ExitReason, now: number): string[];
  goodbye: string[];
  /** The voicemail exit: prompt and beep, then a recording of at most `maxS` seconds. */
  voicemail: { prompt: string[]; maxS: number };
  /** Calls are anchored in the media server and recorded. */
  recordCalls: boolean;
  /** What an agent's mobile hears on answering: "Call for <department>, press 1 to accept." */
  acceptQuestion: string[];
  callbackKey: string | null;
  /** The callback dialogue's sentences (files). */
  callback: {
    enter: string[];
    refused: string[];
    confirm(number: string): string[];
    kept: string[];
  };
}

export interface MediaDefaults {
  /** Shipped prompt folder (absolute). */
  promptsDir: string;
  /** Music files of the shipped folder (absolute paths). */
  music: string[];
}

export function resolveDepartmentMedia(
  row: DepartmentMediaRow,
  defaults: MediaDefaults,
  /** The department's music folder's files, when it has its own folder. */
  ownMusic: string[] | null,
): DepartmentMedia {
  const folder: PromptFolder = { dir: row.promptsFolder ?? defaults.promptsDir };
  const p = (names: string[]) => names.map((n) => promptPath(folder, n));
  const greeting: string[] = [];
  if (row.welcomeEnabled) greeting.push(row.welcomePrompt ?? promptPath(folder, 'welcome'));
  const recordingNotice = row.recordCalls ? p(['recording-notice']) : [];
  greeting.push(...recordingNotice);
  if (row.exitKey !== null) greeting.push(...p(exitHintPrompts(row.exitKey)));
  if (row.callbackKey !== null) greeting.push(...p(callbackHintPrompts(row.callbackKey)));
  const own = (path: string | null, name: string) => [path ?? promptPath(folder, name)];
  return {
    departmentId: row.id,
    greeting,
    recordingNotice,
    music: ownMusic && ownMusic.length > 0 ? ownMusic : defaults.music,
    exitKey: row.exitKey,
    exitKeyAction: row.exitKeyAction,
    position: (position, wait) => p(positionPrompts(position, wait)),
    exitMessage(reason, now) {
      switch (reason) {
        case 'out-of-hours':
          return [
            ...own(row.outOfHoursPrompt, 'out-of-hours'),
            ...p(openingPrompts(nextOpening(row.businessHours, row.holidays, row.timeZone, now))),
          ];
        case 'queue-full':
          return own(row.queueFullPrompt, 'queue-full');
        case 'no-agent':
          return own(row.noAgentPrompt, 'no-agent');
        case 'max-wait':
          return own(row.maxWaitPrompt, 'max-wait');
        default:
          return [];
      }
    },
    goodbye: p(['goodbye']),
    voicemail: { prompt: p(['voicemail', 'beep']), maxS: row.voicemailMaxS },
    recordCalls: row.recordCalls ?? false,
    acceptQuestion: [
      promptPath(folder, 'call-for'),
      row.namePrompt ?? promptPath(folder, 'your-department'),
      promptPath(folder, 'press-one-to-accept'),
    ],
    callbackKey: row.callbackKey,
    callback: {
      enter: p(CALLBACK_PROMPTS.enter),
      refused: p(CALLBACK_PROMPTS.refused),
      confirm: (number) => p(CALLBACK_PROMPTS.confirm(number)),
      kept: p(CALLBACK_PROMPTS.kept),
    },
  };
}

/** Reasons whose refusal is spoken to the caller (answered first) instead of a bare SIP error. */
export const SPOKEN_EXITS: ReadonlySet<ExitReason> = new Set([
  'out-of-hours',
  'queue-full',
  'no-agent',
  'max-wait',
]);
