/** Request and response schemas of a call's recording control. */
import { z } from 'zod';

export const recordingActionBody = z.strictObject({ action: z.enum(['start', 'stop']) });

export const recordingActionView = z.object({
  callId: z.string(),
  recording: z.enum(['started', 'stopped']),
});
