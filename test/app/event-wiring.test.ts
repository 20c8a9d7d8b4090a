/**
 * The app wires call control's publisher to the API's event bus, so the bus
 * must satisfy the interface call control declares (checked by the compiler)
 * and carry its events to WebSocket listeners (checked here).
 */
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/api/events/api-events.ts';
import type { CallEventPublisher } from '../../src/calls/recorder/call-events.ts';

describe('event bus as call control’s publisher', () => {
  it('accepts call-flow events typed by call control and delivers them to listeners', () => {
    const bus = createEventBus();
    const publisher: CallEventPublisher = bus;
    const seen: unknown[] = [];
    bus.onAny((e) => seen.push([e.type, e.data]));
    publisher.publish('call.abandoned', { callId: 'c1', departmentId: 'd1', waitMs: 1200 });
    expect(seen).toEqual([['call.abandoned', { callId: 'c1', departmentId: 'd1', waitMs: 1200 }]]);
  });
});
