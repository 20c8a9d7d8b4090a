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
    if (!calls?.isAnchored(callId)) return { kind: 'not-anchored' } as const;
    if (action === 'stop' && !calls.isRecording(callId)) return { kind: 'not-recording' } as const;
    try {
      await calls[action](callId);
    } catch (err) {
      // The call's bridge ended while the command waited its turn.
      if (err instanceof NotAnchoredError) return { kind: 'not-anchored' } as const;
      throw err;
    }
    return { kind: action === 'start' ? 'started' : 'stopped' } as const;
  };
  return { start: (id) => run(id, 'start'), stop: (id) => run(id, 'stop') };
}
