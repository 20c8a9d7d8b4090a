/**
 * The API's start and stop of a call's recording, carried out on the calls
 * call control has anchored in the media server (`AnchoredCalls`). A call not
 * in progress is `not-live`. `start` on a connected call whose media flows
 * directly between caller and agent (re-INVITEd to its agent) first moves it
 * into the media server (`anchor`, call control's `anchorConnected`); if that
 * fails the answer is `anchor-failed` and the call goes on unrecorded. A call
 * that is not connected (still queued) is `not-anchored`, and so is `stop`
 * for a call that was never anchored.
 */
import {
  liveCallIds,
  type RecordingControl,
  type RecordingControlResult,
} from '../../api/recording-control.ts';
import type { AcdLiveState } from '../../acd/index.ts';
import { type CallRecordingControl, NotAnchoredError } from '../../calls/anchor/call-recording.ts';
import type { OnDemandResult } from '../../calls/anchor/on-demand-anchor.ts';

export function anchoredRecordingControl(
  anchored: () => CallRecordingControl | null,
  live: () => AcdLiveState | null,
  anchor: (callId: string) => Promise<OnDemandResult> = async () => ({ kind: 'not-connected' }),
): RecordingControl {
  /** Anchored now, or why not. */
  const anchoredNow = async (
    callId: string,
    action: 'start' | 'stop',
  ): Promise<RecordingControlResult | null> => {
    if (anchored()?.isAnchored(callId)) return null;
    if (action === 'stop') return { kind: 'not-anchored' };
    const moved = await anchor(callId);
    switch (moved.kind) {
      case 'anchored':
        return null;
      case 'not-connected':
        return { kind: 'not-anchored' };
      case 'failed':
        return { kind: 'anchor-failed', reason: moved.reason };
    }
  };
  const run = async (callId: string, action: 'start' | 'stop'): Promise<RecordingControlResult> => {
    if (!liveCallIds(live()).has(callId)) return { kind: 'not-live' };
    const refused = await anchoredNow(callId, action);
    if (refused) return refused;
    const calls = anchored();
    if (!calls?.isAnchored(callId)) return { kind: 'not-anchored' };
    if (action === 'stop' && !calls.isRecording(callId)) return { kind: 'not-recording' };
    try {
      await calls[action](callId);
    } catch (err) {
      // The call's bridge ended while the command waited its turn.
      if (err instanceof NotAnchoredError) return { kind: 'not-anchored' };
      throw err;
    }
    return { kind: action === 'start' ? 'started' : 'stopped' };
  };
  return { start: (id) => run(id, 'start'), stop: (id) => run(id, 'stop') };
}
