/**
 * The OPTIONS prober with a FAKE `sendOptions`: the real one is srf.request
 * through the SIP server, which is being built in parallel; here each
 * contact's answers are scripted (status codes, transport errors, silence).
 * Timers are the real ones with short intervals, wrapped to count them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  OptionsProber,
  type ProbeAnswer,
  type ProbeTarget,
  type TimerFunctions,
} from '../../src/calls/reachability/options-prober.ts';

/** A status from the device, a 503 made by the SIP server (port closed), or no answer. */
type Answer = number | 'local-503' | 'error' | 'silence';

function countingTimers() {
  const live = new Set<NodeJS.Timeout>();
  let created = 0;
  const timers: TimerFunctions = {
    setTimeout(fn, ms) {
      created++;
      const t = setTimeout(() => {
        live.delete(t);
        fn();
      }, ms);
      live.add(t);
      return t;
    },
    clearTimeout(t) {
      if (!live.has(t)) throw new Error('timer cleared twice or after it fired');
      live.delete(t);
      clearTimeout(t);
    },
  };
  return { timers, live, created: () => created };
}

function scripted(script: Record<string, Answer[]>) {
  const sent: string[] = [];
  const pending = new Set<() => void>();
  const sendOptions = (t: ProbeTarget): Promise<ProbeAnswer> => {
    sent.push(t.contactUri);
    const answers = script[t.contactUri] ?? [200];
    const a = (answers.length > 1 ? answers.shift() : answers[0]) as Answer;
    if (a === 'error') return Promise.reject(new Error('ECONNREFUSED'));
    if (a === 'silence') {
      // Never answers (until the test ends it), like a peer that has gone.
      return new Promise((_resolve, reject) => {
        const end = () => reject(new Error('ended'));
        pending.add(end);
      });
    }
    if (a === 'local-503') return Promise.resolve({ status: 503, local: true });
    return Promise.resolve({ status: a, local: false });
  };
  const endSilences = () => {
    for (const end of pending) end();
  };
  return { sendOptions, sent, endSilences };
}

const target = (uri: string, agentId = 'a1'): ProbeTarget => ({
  agentId,
  contactUri: uri,
  nextHop: 'sip:192.0.2.1:5060',
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function prober(script: Record<string, Answer[]>, threshold = 2) {
  const s = scripted(script);
  const t = countingTimers();
  const changes: [string, boolean][] = [];
  /** How many probes had been sent when each change happened. */
  const probesAtChange: number[] = [];
  const p = new OptionsProber({
    sendOptions: s.sendOptions,
    intervalMs: 15,
    timeoutMs: 40,
    failuresBeforeUnreachable: threshold,
    random: () => 0,
    timers: t.timers,
    onChange: (tg, reachable) => {
      changes.push([tg.contactUri, reachable]);
      probesAtChange.push(s.sent.length);
    },
  });
  closers.push(async () => {
    await p.close();
    s.endSilences();
  });
  return { p, s, t, changes, probesAtChange };
}

describe('OptionsProber (fake sendOptions)', () => {
  it('keeps a contact that answers 200 reachable and keeps probing it', async () => {
    const { p, s } = prober({ 'sip:a@h': [200] });
    p.track(target('sip:a@h'));
    await until(() => s.sent.length >= 3, 'three probes');
    expect(p.isUnreachable('sip:a@h')).toBe(false);
  });

  it.each([
    ['a timeout', 'silence'],
    ['a transport error', 'error'],
    ['408', 408],
    ['503', 503],
  ] as const)('marks a contact unreachable after failures in a row: %s', async (_n, answer) => {
    const { p, changes } = prober({ 'sip:a@h': [answer] });
    p.track(target('sip:a@h'));
    await until(() => p.isUnreachable('sip:a@h'), 'unreachable');
    expect(changes).toEqual([['sip:a@h', false]]);
  });

  it('needs failuresBeforeUnreachable failures in a row; an answer in between resets the count', async () => {
    const { p, changes, probesAtChange } = prober(
      { 'sip:a@h': [503, 200, 503, 200, 503, 503, 200] },
      2,
    );
    p.track(target('sip:a@h'));
    await until(() => changes.length >= 2, 'down after two failures in a row, then up');
    // Probes 1-4 alternate, so only the 6th probe (2nd failure in a row) marks it down.
    expect(changes).toEqual([
      ['sip:a@h', false],
      ['sip:a@h', true],
    ]);
    expect(probesAtChange).toEqual([6, 7]);
  });

  it('marks a contact unreachable at the first 503 the SIP server made itself (port closed)', async () => {
    const { p, changes, probesAtChange } = prober({ 'sip:a@h': ['local-503', 200] }, 3);
    p.track(target('sip:a@h'));
    await until(() => changes.length >= 2, 'down at once, then up again');
    expect(changes).toEqual([
      ['sip:a@h', false],
      ['sip:a@h', true],
    ]);
    expect(probesAtChange).toEqual([1, 2]);
  });

  it('counts 404/405/501 as an answer (phones without OPTIONS support are there)', async () => {
    const { p, s } = prober({ 'sip:a@h': [405, 501, 404] }, 1);
    p.track(target('sip:a@h'));
    await until(() => s.sent.length >= 4, 'four probes');
    expect(p.isUnreachable('sip:a@h')).toBe(false);
  });

  it('makes a contact reachable again when it answers or re-registers', async () => {
    const { p, changes } = prober({ 'sip:a@h': ['error', 200] }, 1);
    p.track(target('sip:a@h'));
    await until(() => changes.length === 2, 'down and up again');
    expect(changes).toEqual([
      ['sip:a@h', false],
      ['sip:a@h', true],
    ]);
    const other = prober({ 'sip:b@h': ['error'] }, 1);
    other.p.track(target('sip:b@h'));
    await until(() => other.p.isUnreachable('sip:b@h'), 'b unreachable');
    other.p.heardFrom('sip:b@h');
    expect(other.p.isUnreachable('sip:b@h')).toBe(false);
  });

  it('takes a REGISTER for an answered probe: the next probe comes one interval after it', async () => {
    const s = scripted({});
    const t = countingTimers();
    const intervalMs = 400;
    // Without the REGISTER the first probe would go out after 200 ms.
    const p = new OptionsProber({
      sendOptions: s.sendOptions,
      intervalMs,
      random: () => 0.5,
      timers: t.timers,
    });
    closers.push(() => p.close());
    p.track(target('sip:a@h'));
    const registeredAt = Date.now();
    p.heardFrom('sip:a@h');
    await until(() => s.sent.length >= 1, 'the first probe');
    // Node may fire a timer up to a millisecond early.
    expect(Date.now() - registeredAt).toBeGreaterThanOrEqual(intervalMs - 2);
  });

  it('sync() adds new contacts of an agent and stops probing removed ones', async () => {
    const { p, s } = prober({});
    p.sync('a1', [target('sip:a@h'), target('sip:b@h')]);
    p.track(target('sip:x@h', 'a2'));
    expect(p.trackedCount).toBe(3);
    p.sync('a1', [target('sip:b@h')]);
    expect(p.trackedCount).toBe(2);
    s.sent.length = 0;
    await until(() => s.sent.filter((u) => u === 'sip:b@h').length >= 2, 'b probed');
    expect(s.sent).not.toContain('sip:a@h');
    expect(s.sent).toContain('sip:x@h');
  });

  it('bindingsChanged() follows the registrar: probes live bindings, a refresh revives a contact', async () => {
    const { p, s, changes } = prober({ 'sip:a@h': ['error'] }, 1);
    const binding = (uri: string) => ({
      agentId: 'a1',
      contactUri: uri,
      expiresAt: Date.now() + 60_000,
      callId: 'c',
      cseq: 1,
      sourceAddress: '192.0.2.9',
      sourcePort: 5099,
      transport: 'tcp' as const,
      userAgent: null,
      updatedAt: Date.now(),
    });
    p.bindingsChanged('a1', [binding('sip:a@h'), binding('sip:b@h')]);
    expect(p.trackedCount).toBe(2);
    await until(() => p.isUnreachable('sip:a@h'), 'a unreachable');
    p.bindingsChanged('a1', [binding('sip:a@h')], ['sip:a@h']);
    expect(p.trackedCount).toBe(1);
    expect(p.isUnreachable('sip:a@h')).toBe(false);
    expect(changes.slice(0, 2)).toEqual([
      ['sip:a@h', false],
      ['sip:a@h', true],
    ]);
    expect(s.sent).toContain('sip:b@h');
  });

  it('releases every timer exactly once on close, also with probes in flight', async () => {
    const { p, s, t } = prober({ 'sip:a@h': [200], 'sip:b@h': ['silence'], 'sip:c@h': [503] });
    for (const u of ['sip:a@h', 'sip:b@h', 'sip:c@h']) p.track(target(u));
    await until(() => s.sent.includes('sip:b@h') && s.sent.length >= 5, 'probes under way');
    await p.close();
    expect(t.live.size).toBe(0);
    expect(t.created()).toBeGreaterThan(3);
    await p.close();
    p.track(target('sip:d@h'));
    expect(p.trackedCount).toBe(0);
    expect(t.live.size).toBe(0);
  });
});
