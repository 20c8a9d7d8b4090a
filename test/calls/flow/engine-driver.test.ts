import { describe, expect, it } from 'vitest';
import type { AcdAction, AcdEvent, AcdOutput } from '../../../src/acd/index.ts';
import {
  type CallOperations,
  EngineDriver,
  type RoutingEngine,
} from '../../../src/calls/engine/engine-driver.ts';
import { ManualScheduler } from './support/manual-scheduler.ts';

/**
 * The driver's own rules (ordering, the single wake-up timer, errors) with a
 * scripted engine: the real engine is exercised by call-control.test.ts.
 */
class ScriptedEngine implements RoutingEngine {
  seen: AcdEvent[] = [];
  wake: number | null = null;
  script: (e: AcdEvent) => AcdAction[] = () => [];
  handle(e: AcdEvent): AcdOutput {
    this.seen.push(e);
    if (e.type === 'wrapUpEnded' && e.agentId === 'bad') throw new Error('refused');
    return { actions: this.script(e), nextWakeUp: this.wake };
  }
  heldCallIds(): string[] {
    return [];
  }
  nextWakeUp(): number | null {
    return this.wake;
  }
}

function ops(log: string[], onRing?: () => void): CallOperations {
  const rec = (name: string) => (a: AcdAction) =>
    void log.push(`${name}:${'callId' in a ? a.callId : ''}`);
  return {
    ring: (a) => {
      log.push(`ring:${a.callId}`);
      onRing?.();
    },
    cancelRing: rec('cancelRing'),
    bridge: rec('bridge'),
    hangUp: rec('hangUp'),
    dropLateAnswer: rec('dropLateAnswer'),
    reject: rec('reject'),
    overflow: rec('overflow'),
    announce: rec('announce'),
    pauseAgent: rec('pauseAgent'),
    callCompleted: rec('callCompleted'),
    agentStateChanged: rec('agentStateChanged'),
    callbackAccepted: rec('callbackAccepted'),
    dialCallback: rec('dialCallback'),
    endCallbackDial: rec('endCallbackDial'),
    callbackRetryScheduled: rec('callbackRetryScheduled'),
  };
}

describe('EngineDriver', () => {
  it('stamps events with the clock and queues events raised while actions run', () => {
    const clock = new ManualScheduler();
    const engine = new ScriptedEngine();
    const log: string[] = [];
    let driver!: EngineDriver;
    engine.script = (e) =>
      e.type === 'callArrived'
        ? [
            {
              type: 'ring',
              callId: e.callId,
              departmentId: 'd',
              agentId: 'a',
              attemptId: `${e.callId}/1`,
              timeoutMs: 1000,
              timeoutAt: e.at + 1000,
            },
            {
              type: 'announce',
              callId: e.callId,
              kind: 'queued',
              position: 1,
              expectedWaitS: null,
            },
          ]
        : [];
    driver = new EngineDriver({
      engine,
      scheduler: clock,
      operations: ops(log, () =>
        driver.send({ type: 'ringFailed', attemptId: 'c1/1', cause: 'busy' }),
      ),
    });
    driver.send({ type: 'callArrived', callId: 'c1', departmentId: 'd', caller: '1' });
    // The failure raised inside `ring` is handled after the announce, not in the middle.
    expect(log).toEqual(['ring:c1', 'announce:c1']);
    expect(engine.seen.map((e) => e.type)).toEqual(['callArrived', 'ringFailed']);
    expect(engine.seen.every((e) => e.at === clock.now())).toBe(true);
  });

  it('keeps exactly one wake-up timer and sends a tick when it fires', () => {
    const clock = new ManualScheduler();
    const engine = new ScriptedEngine();
    const driver = new EngineDriver({ engine, scheduler: clock, operations: ops([]) });
    engine.wake = clock.now() + 5000;
    driver.send({ type: 'wrapUpEnded', agentId: 'x' });
    engine.wake = clock.now() + 3000;
    driver.send({ type: 'wrapUpEnded', agentId: 'y' });
    expect(clock.pending).toBe(1);
    expect(driver.wakeAt).toBe(clock.now() + 3000);
    engine.wake = null;
    clock.advance(3000);
    expect(engine.seen.at(-1)?.type).toBe('tick');
    expect(clock.pending).toBe(0);
    driver.close();
    driver.close();
  });

  it('reports an event the engine refuses and goes on with the next', () => {
    const clock = new ManualScheduler();
    const engine = new ScriptedEngine();
    const errors: string[] = [];
    const driver = new EngineDriver({
      engine,
      scheduler: clock,
      operations: ops([]),
      onError: (_err, event) => void errors.push(event?.type ?? 'none'),
    });
    driver.send({ type: 'wrapUpEnded', agentId: 'bad' });
    driver.send({ type: 'wrapUpEnded', agentId: 'good' });
    expect(errors).toEqual(['wrapUpEnded']);
    expect(engine.seen).toHaveLength(2);
  });
});
