/** Times read from sipp's message traces, and percentiles over them. */

/** Per call: the time of the first INVITE of a caller number, sent or received. */
export function inviteTimes(trace: string, direction: 'sent' | 'received'): Map<string, number> {
  const out = new Map<string, number>();
  for (const block of trace.split(/^-{20,} /m)) {
    const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)/.exec(block)?.[1];
    if (!stamp || !new RegExp(`message ${direction}`).test(block)) continue;
    if (!/^INVITE /m.test(block)) continue;
    const caller = /^From:[^\n]*<sip:(c\d+)@/m.exec(block)?.[1];
    if (!caller || out.has(caller)) continue;
    // sipp prints local time with microseconds; only differences matter here.
    const [date, time] = stamp.split(' ');
    const ms = Date.parse(`${date}T${time?.slice(0, 12)}Z`) + Number(`0.${time?.slice(13) ?? '0'}`);
    out.set(caller, ms);
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}
