/** Hangup causes by name with their Q.850 codes (the subset the media server uses or accepts). */
export const HANGUP_CAUSES = {
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  DESTINATION_OUT_OF_ORDER: 27,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_TEMPORARY_FAILURE: 41,
  INCOMPATIBLE_DESTINATION: 88,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  ORIGINATOR_CANCEL: 487,
  MEDIA_TIMEOUT: 604,
} as const;

export type HangupCause = keyof typeof HANGUP_CAUSES;

export function isHangupCause(s: string): s is HangupCause {
  return Object.hasOwn(HANGUP_CAUSES, s);
}
