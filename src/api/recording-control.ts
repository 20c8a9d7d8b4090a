/**
 * What the API needs to start and stop the recording of a call in progress
 * (`POST /api/calls/:id/recording`). Call control implements it: a call
 * anchored in the media server (caller and agent legs bridged there) is
 * recorded at once, a connected call whose media flows directly between
 * caller and agent is anchored first; the composition root passes it in
 * (app/recordings/anchored-recording-control.ts).
 */
import type { AcdLiveState } from '../acd/index.ts';

export type RecordingAction = 'start' | 'stop';

export type RecordingControlResult =
  /** Recording now (also when it already was). */
  | { kind: 'started' }
  /** The recording has ended; its file is saved once complete. */
  | { kind: 'stopped' }
  /** No such call in progress. */
  | { kind: 'not-live' }
  /**
   * In progress, but its media does not pass through the media server and
   * cannot be moved there now (not connected to an agent; for `stop`: not
   * anchored, so not recorded).
   */
  | { kind: 'not-anchored' }
  /** Moving the call into the media server failed (a leg refused the re-INVITE); the call goes on. */
  | { kind: 'anchor-failed'; reason: string }
  /** `stop` for a call that is not being recorded. */
  | { kind: 'not-recording' };

export interface RecordingControl {
  start(callId: string): Promise<RecordingControlResult>;
  stop(callId: string): Promise<RecordingControlResult>;
}

/** The calls in progress now, from the engine's picture (null: no router in this process). */
export function liveCallIds(state: AcdLiveState | null): Set<string> {
  const ids = new Set<string>();
  if (!state) return ids;
  for (const c of state.connected) ids.add(c.callId);
  for (const d of state.departments) for (const w of d.waiting) ids.add(w.callId);
  return ids;
}
