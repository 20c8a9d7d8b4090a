/**
 * The routing gate tells its listeners when this instance starts routing
 * (at start or when it takes over as leader), so work only the router does
 * (stored callback requests) begins then, once per opening. drachtio-srf's
 * two route methods are recorded by a stand-in: no SIP server is needed to
 * see which routes the gate asks for.
 */
import { describe, expect, it } from 'vitest';
import { RoutingGate } from '../../src/app/leadership/routing-gate.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;

describe('routing gate', () => {
  it('tells its listeners each time it opens, not when it is opened again or shut', () => {
    const gate = new RoutingGate(silent);
    const calls: string[] = [];
    const srf = {
      unregisterForMessages: (v: string) => void calls.push(`-${v}`),
      reregisterForMessages: (v: string) => void calls.push(`+${v}`),
    };
    gate.attach(srf, ['invite']);
    let opened = 0;
    const stop = gate.onOpen(() => {
      opened += 1;
    });
    gate.open();
    gate.open();
    expect(opened).toBe(1);
    gate.shut();
    expect(opened).toBe(1);
    gate.open();
    expect(opened).toBe(2);
    stop();
    gate.shut();
    gate.open();
    expect(opened).toBe(2);
    // The routes follow: withdrawn at attach (shut), added, withdrawn, added, withdrawn, added.
    expect(calls).toEqual(['-invite', '+invite', '-invite', '+invite', '-invite', '+invite']);
  });
});
