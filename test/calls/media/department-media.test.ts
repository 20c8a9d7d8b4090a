/**
 * The recording notice in a department's resolved media: spoken after the
 * welcome when the department records its calls, absent otherwise.
 */
import { describe, expect, it } from 'vitest';
import {
  type DepartmentMediaRow,
  resolveDepartmentMedia,
} from '../../../src/calls/media/department-media.ts';

const row: DepartmentMediaRow = {
  id: 'dept-1',
  voicemailMaxS: 120,
  namePrompt: null,
  callbackKey: null,
  promptsFolder: null,
  mohFolder: null,
  welcomeEnabled: true,
  welcomePrompt: null,
  outOfHoursPrompt: null,
  queueFullPrompt: null,
  noAgentPrompt: null,
  maxWaitPrompt: null,
  exitKey: '*',
  exitKeyAction: { kind: 'voicemail' },
  timeZone: 'UTC',
  businessHours: null,
  holidays: [],
};
const defaults = { promptsDir: '/p/en', music: ['/m/1.wav'] };

describe('department media: the recording notice', () => {
  it('is said after the welcome and before the exit hint when the department records its calls', () => {
    const media = resolveDepartmentMedia({ ...row, recordCalls: true }, defaults, null);
    expect(media.recordingNotice).toEqual(['/p/en/recording-notice.wav']);
    expect(media.greeting).toEqual([
      '/p/en/welcome.wav',
      '/p/en/recording-notice.wav',
      '/p/en/exit-hint.wav',
      '/p/en/key-star.wav',
    ]);
  });

  it('is not said when the department does not record (or says nothing about it)', () => {
    for (const r of [{ ...row, recordCalls: false }, row]) {
      const media = resolveDepartmentMedia(r, defaults, null);
      expect(media.recordingNotice).toEqual([]);
      expect(media.greeting).not.toContain('/p/en/recording-notice.wav');
    }
  });

  it("comes from the department's own prompt folder", () => {
    const media = resolveDepartmentMedia(
      { ...row, recordCalls: true, promptsFolder: '/srv/de/' },
      defaults,
      null,
    );
    expect(media.recordingNotice).toEqual(['/srv/de/recording-notice.wav']);
  });
});
