/**
 * The API's start and stop of a call's recording, carried out on the calls
 * call control has anchored in the media server (`AnchoredCalls`). A call not
 * in progress is `not-live`; one in progress whose media does not pass through
 * the media server (no media, or re-INVITEd to its agent) is `not-anchored`.
 */
import { liveCallIds, type RecordingControl } from '../../api/recording-control.ts';
import type { AcdLiveState } from '../../acd/index.ts';
import { type CallRecordingControl, NotAnchoredError } from '../../calls/anchor/call-recording.ts';

export function anchoredRecordingControl(
  anchored: () => CallRecordingControl | null,
  live: () => AcdLiveState | null,
): RecordingControl {
  const run = async (callId: string, action: 'start' | 'stop') => {
    if (!liveCallIds(live()).has(callId)) return { kind: 'not-live' } as const;
    const calls = anchored();
    if (!calls) return { kind: 'not-anchored' } as const;
    if (action === 'stop' && !calls.isRecording(callId)) {
      try {
        // Known to the anchored calls but not recording, or not anchored at all.
        await calls.stop(callId);
      } catch (err) {
        if (err instanceof NotAnchoredError) return { kind: 'not-anchored' } as const;
        throw err;
      }
      return { kind: 'not-recording' } as const;
    }
    try {
      await calls[action](callId);
    } catch (err) {
      if (err instanceof NotAnchoredError) return { kind: 'not-anchored' } as const;
      throw err;
    }
    return { kind: action === 'start' ? 'started' : 'stopped' } as const;
  };
  return { start: (id) => run(id, 'start'), stop: (id) => run(id, 'stop') };
}
