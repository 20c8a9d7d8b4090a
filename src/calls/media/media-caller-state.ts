/** The states of a `MediaCaller` (its header draws the moves between them). */
export type MediaCallerState =
  | 'idle'
  | 'answering'
  | 'queued'
  | 'handover'
  | 'handed-over'
  | 'anchored'
  | 'exiting'
  | 'callback-menu'
  | 'done';

/** Why a queued caller left on its own (for the call log). */
export type AbandonCause =
  | 'media-timeout'
  | 'exit-key'
  | 'caller-hung-up'
  | 'media-lost'
  | 'callback';

/** States in which the caller no longer waits in the queue: leaving it means nothing. */
export const PAST_THE_QUEUE = new Set<MediaCallerState>([
  'handover',
  'handed-over',
  'anchored',
  'exiting',
]);
