/** Numbers as people read them on a wallboard or in a report. */

/** 75 -> "1:15", 3725 -> "1:02:05"; null -> "–". */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  const t = Math.max(0, Math.round(s));
  const hh = Math.floor(t / 3600);
  const mm = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** 0.8333 -> "83 %"; null -> "–". */
export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${Math.round(v * 100)} %`;
}

export function num(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined ? '–' : v.toFixed(digits);
}

export const STATE_LABEL: Record<string, string> = {
  available: 'available',
  ringing: 'ringing',
  onCall: 'on a call',
  wrapUp: 'wrap-up',
  away: 'away',
  break: 'on break',
  offline: 'offline',
};
