/**
 * The caller's callback dialogue on its own: a stand-in endpoint records
 * what is played, a manual clock drives the digit timeout.
 */
import { describe, expect, it } from 'vitest';
import { CallbackMenu, DIGIT_TIMEOUT_MS } from '../../../src/calls/media/callback-menu.ts';
import {
  CALLBACK_PROMPTS,
  callbackHintPrompts,
  numberDigitPrompts,
} from '../../../src/calls/media/callback-phrases.ts';
import type { Scheduler } from '../../../src/calls/mechanisms/scheduler.ts';
import { silentLogger } from '../../../src/calls/ports/index.ts';

class ManualClock implements Scheduler {
  t = 0;
  timers: { at: number; fn: () => void; live: boolean }[] = [];
  now = () => this.t;
  schedule(ms: number, fn: () => void) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  advance(ms: number) {
    this.t += ms;
    for (const x of this.timers) {
      if (x.live && x.at <= this.t) {
        x.live = false;
        x.fn();
      }
    }
  }
  get pending() {
    return this.timers.filter((x) => x.live).length;
  }
}

function menu(caller: string, o: { allowed?: boolean; taken?: boolean } = {}) {
  const played: string[][] = [];
  const requested: string[] = [];
  const warnings: object[] = [];
  const clock = new ManualClock();
  const m = new CallbackMenu({
    callId: 'c1',
    caller,
    prompts: {
      enter: ['enter'],
      refused: ['refused'],
      confirm: (n) => ['on', n],
      kept: ['kept'],
    },
    play: async (files) => void played.push(files),
    allowed: () => o.allowed ?? true,
    request: (n) => {
      requested.push(n);
      return o.taken ?? true;
    },
    scheduler: clock,
    logger: { ...silentLogger, warn: (obj) => void warnings.push(obj) },
  });
  return { m, played, requested, warnings, clock };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('callback menu', () => {
  it('an E.164 From is confirmed and requested; the caller hears it kept', async () => {
    const { m, played, requested } = menu('+4915112345678');
    expect(await m.run()).toBe('requested');
    expect(played).toEqual([['on', '+4915112345678'], ['kept']]);
    expect(requested).toEqual(['+4915112345678']);
  });

  it('a withheld caller enters digits ending with #', async () => {
    const { m, played, requested, clock } = menu('');
    const run = m.run();
    await tick();
    for (const d of '4930555#') m.digit(d);
    expect(await run).toBe('requested');
    expect(played[0]).toEqual(['enter']);
    expect(requested).toEqual(['+4930555']);
    expect(clock.pending).toBe(0);
  });

  it('no digit for the timeout, a 16th digit, or a flood: back to the queue, nothing requested', async () => {
    const slow = menu('anonymous');
    const run = slow.m.run();
    await tick();
    slow.clock.advance(DIGIT_TIMEOUT_MS);
    expect(await run).toBe('back');
    expect(slow.played.at(-1)).toEqual(['refused']);
    expect(slow.requested).toEqual([]);

    const flood = menu('anonymous');
    const run2 = flood.m.run();
    await tick();
    for (let i = 0; i < 1000; i++) flood.m.digit(String(i % 10));
    expect(await run2).toBe('back');
    expect(flood.requested).toEqual([]);
    expect(flood.clock.pending).toBe(0);
  });

  it('a number the allow-list refuses is logged and refused with the prompt', async () => {
    const { m, played, requested, warnings } = menu('+4990012345', { allowed: false });
    expect(await m.run()).toBe('back');
    expect(played).toEqual([['refused']]);
    expect(requested).toEqual([]);
    expect(warnings).toEqual([
      { callId: 'c1', number: '+4990012345', why: 'not on the allow-list' },
    ]);
  });

  it('the engine does not take it (no longer waiting): back, without the goodbye', async () => {
    const { m, played } = menu('+4930111', { taken: false });
    expect(await m.run()).toBe('back');
    expect(played).toEqual([['on', '+4930111']]);
  });

  it('aborted while digits are entered: nothing requested, the timer cleared', async () => {
    const { m, requested, clock } = menu('');
    const run = m.run();
    await tick();
    m.digit('4');
    m.abort();
    expect(await run).toBe('back');
    expect(requested).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe('callback phrases', () => {
  it('speaks the key, and numbers digit by digit', () => {
    expect(callbackHintPrompts('2')).toEqual(['callback-hint', 'n-2']);
    expect(() => callbackHintPrompts('*')).toThrow(RangeError);
    expect(numberDigitPrompts('+4930')).toEqual(['plus', 'n-4', 'n-9', 'n-3', 'n-0']);
    expect(CALLBACK_PROMPTS.confirm('+1')).toEqual(['callback-on', 'plus', 'n-1']);
  });
});
