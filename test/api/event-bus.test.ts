import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/api/events/bus.ts';

interface Map {
  'department.created': { id: number; name: string };
  'agent.deleted': { id: number };
}

describe('event bus', () => {
  it('delivers a published event to its type listeners and to onAny, with the time', () => {
    const bus = new EventBus<Map>({ now: () => new Date('2026-01-02T03:04:05.000Z') });
    const typed: unknown[] = [];
    const any: unknown[] = [];
    bus.on('department.created', (e) => typed.push(e.data.name));
    bus.onAny((e) => any.push(e.type));
    bus.publish('department.created', { id: 1, name: 'Sales' });
    bus.publish('agent.deleted', { id: 2 });
    expect(typed).toEqual(['Sales']);
    expect(any).toEqual(['department.created', 'agent.deleted']);
    const e = bus.publish('agent.deleted', { id: 3 });
    expect(e).toEqual({ type: 'agent.deleted', at: '2026-01-02T03:04:05.000Z', data: { id: 3 } });
  });

  it('keeps delivering when a listener throws, and reports the error', () => {
    const errors: unknown[] = [];
    const bus = new EventBus<Map>({ onListenerError: (err) => errors.push(err) });
    const got: number[] = [];
    bus.on('agent.deleted', () => {
      throw new Error('boom');
    });
    bus.on('agent.deleted', (e) => got.push(e.data.id));
    bus.onAny(() => {
      throw new Error('boom2');
    });
    expect(() => bus.publish('agent.deleted', { id: 9 })).not.toThrow();
    expect(got).toEqual([9]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom', 'boom2']);
  });

  it('unsubscribes, and once() fires a single time', () => {
    const bus = new EventBus<Map>();
    let n = 0;
    let m = 0;
    const off = bus.onAny(() => n++);
    bus.once('agent.deleted', () => m++);
    bus.publish('agent.deleted', { id: 1 });
    bus.publish('agent.deleted', { id: 2 });
    off();
    bus.publish('agent.deleted', { id: 3 });
    expect(n).toBe(2);
    expect(m).toBe(1);
    expect(bus.listenerCount()).toBe(0);
  });
});
