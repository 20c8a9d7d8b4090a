import { describe, expect, it } from 'vitest';
import { RegisteredSources } from '../../../src/calls/inbound/registered-sources.ts';
import { binding } from './support/world.ts';

describe('RegisteredSources', () => {
  it('finds the agent by the address and port a device registered from', () => {
    let now = 1_000_000;
    const s = new RegisteredSources(() => now);
    s.update('alice', [binding('alice', 1, now), binding('alice', 2, now)]);
    expect(s.agentAt('192.0.2.11', 5062)).toBe('alice');
    expect(s.agentAt('192.0.2.11', 5063)).toBeNull();
    expect(s.deviceCount('alice')).toBe(2);
    now += 3_600_001;
    expect(s.agentAt('192.0.2.11', 5062)).toBeNull();
    expect(s.bindings('alice')).toEqual([]);
  });

  it('forgets bindings an update no longer lists', () => {
    const s = new RegisteredSources(() => 0);
    s.update('alice', [binding('alice', 1, 0), binding('alice', 2, 0)]);
    s.update('alice', [binding('alice', 2, 0)]);
    expect(s.agentAt('192.0.2.11', 5062)).toBeNull();
    expect(s.agentAt('192.0.2.12', 5062)).toBe('alice');
    s.update('alice', []);
    expect(s.agentAt('192.0.2.12', 5062)).toBeNull();
    expect(s.deviceCount('alice')).toBe(0);
  });
});
