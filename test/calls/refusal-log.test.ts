/**
 * The rate limit on refused-INVITE log lines, on a manual clock: a flood from
 * one address writes one line, then one summary per period with the count;
 * every refusal is counted for the metric; the table of addresses is bounded.
 */
import { describe, expect, it } from 'vitest';
import {
  type Refusal,
  RefusalLog,
  type RefusalReason,
} from '../../src/calls/inbound/refusal-log.ts';
import { ManualScheduler } from './flow/support/manual-scheduler.ts';

function capture() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void =>
      void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

const refusal = (source: string, n: number, reason: RefusalReason = 'unknown-number'): Refusal => ({
  source,
  reason,
  status: reason === 'unknown-source' ? 403 : 404,
  sipCallId: `flood-${n}`,
});

describe('refused-INVITE log lines', () => {
  it('5,000 refusals from one address write one line, then one summary with the count', () => {
    const clock = new ManualScheduler();
    const { lines, logger } = capture();
    const counted: RefusalReason[] = [];
    const log = new RefusalLog({
      logger,
      scheduler: clock,
      summaryEveryMs: 10_000,
      counted: (r) => void counted.push(r),
    });
    for (let i = 0; i < 5000; i++) log.refused(refusal('198.51.100.7', i));
    expect(counted).toHaveLength(5000);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toMatchObject({
      source: '198.51.100.7',
      status: 404,
      why: 'unknown-number',
      sipCallId: 'flood-0',
    });

    clock.advance(10_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]?.obj).toMatchObject({
      source: '198.51.100.7',
      refused: 4999,
      reasons: { 'unknown-number': 4999 },
      periodS: 10,
      lastSipCallId: 'flood-4999',
    });
    // The flood goes on: still one line per period.
    for (let i = 0; i < 300; i++) log.refused(refusal('198.51.100.7', i, 'unknown-source'));
    clock.advance(10_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]?.obj).toMatchObject({ refused: 300, reasons: { 'unknown-source': 300 } });
    // A quiet period: the address is forgotten and the timer stops.
    clock.advance(10_000);
    expect(lines).toHaveLength(3);
    expect(log.sourceCount).toBe(0);
    expect(clock.pending).toBe(0);
    log.refused(refusal('198.51.100.7', 1));
    expect(lines).toHaveLength(4);
    expect(lines[3]?.msg).toMatch(/^inbound: refused/);
    log.close();
    expect(clock.pending).toBe(0);
  });

  it('each address gets its own first line; the table is bounded and the rest summed up as one', () => {
    const clock = new ManualScheduler();
    const { lines, logger } = capture();
    const log = new RefusalLog({ logger, scheduler: clock, summaryEveryMs: 1000, maxSources: 3 });
    for (let i = 0; i < 10; i++) log.refused(refusal(`203.0.113.${i}`, i));
    expect(log.sourceCount).toBe(3);
    expect(lines).toHaveLength(3);
    clock.advance(1000);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', obj: { refused: 7, sources: 3 } });
    log.close();
  });

  it('close() writes the pending summary and leaves no timer', () => {
    const clock = new ManualScheduler();
    const { lines, logger } = capture();
    const log = new RefusalLog({ logger, scheduler: clock });
    log.refused(refusal('192.0.2.1', 1));
    log.refused(refusal('192.0.2.1', 2));
    expect(clock.pending).toBe(1);
    log.close();
    log.close();
    expect(clock.pending).toBe(0);
    expect(lines.map((l) => l.obj.refused ?? 'first')).toEqual(['first', 1]);
  });
});
