import { describe, expect, it } from 'vitest';
import {
  type ForwardingSourceOptions,
  forwardingSource,
} from '../../src/calls/dialer/forwarding-source.ts';
import {
  type ForwardingInput,
  type ForwardingPlan,
  planForwarding,
  trunkTarget,
} from '../../src/calls/dialer/forwarding-plan.ts';
import { MobileAllowList } from '../../src/calls/dialer/mobile-allow-list.ts';
import type { RegistrationBinding } from '../../src/calls/ports/index.ts';

const now = 1_000_000;

function binding(uri: string, overrides: Partial<RegistrationBinding> = {}): RegistrationBinding {
  return {
    agentId: 'a1',
    contactUri: uri,
    expiresAt: now + 60_000,
    callId: 'c',
    cseq: 1,
    sourceAddress: '192.0.2.7',
    sourcePort: 5070,
    transport: 'udp',
    userAgent: null,
    updatedAt: now - 1000,
    ...overrides,
  };
}

function input(overrides: Partial<ForwardingInput> = {}): ForwardingInput {
  return {
    mode: 'softphone',
    contacts: [
      binding('sip:1001@10.0.0.5:5062'),
      binding('sip:1001@10.0.0.6', { updatedAt: now - 10, sourcePort: 6000, transport: 'tcp' }),
    ],
    isUnreachable: () => false,
    mobileNumber: '+4915112345678',
    allowList: MobileAllowList.parse(['+49151*']),
    trunkUri: 'sip:trunk.example.net;transport=tcp',
    mobileDelayMs: 15_000,
    now,
    ...overrides,
  };
}

describe('planForwarding', () => {
  it('softphone: every live contact at once, most recently refreshed first, sent to its source address', () => {
    const plan = planForwarding(input());
    expect(plan.legs).toEqual([
      {
        kind: 'softphone',
        requestUri: 'sip:1001@10.0.0.6',
        contactUri: 'sip:1001@10.0.0.6',
        nextHop: 'sip:192.0.2.7:6000;transport=tcp',
        delayMs: 0,
      },
      {
        kind: 'softphone',
        requestUri: 'sip:1001@10.0.0.5:5062',
        contactUri: 'sip:1001@10.0.0.5:5062',
        nextHop: 'sip:192.0.2.7:5070;transport=udp',
        delayMs: 0,
      },
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it('leaves out contacts that fail OPTIONS and expired ones', () => {
    const plan = planForwarding(
      input({
        contacts: [binding('sip:a@h'), binding('sip:b@h'), binding('sip:c@h', { expiresAt: now })],
        isUnreachable: (uri) => uri === 'sip:a@h',
      }),
    );
    expect(plan.legs.map((l) => l.requestUri)).toEqual(['sip:b@h']);
    expect(plan.skipped).toEqual([{ target: 'sip:a@h', reason: 'device-unreachable' }]);
  });

  it('softphone with nothing registered: no legs, reason given', () => {
    const plan = planForwarding(input({ contacts: [] }));
    expect(plan.legs).toEqual([]);
    expect(plan.skipped).toEqual([{ target: 'softphone', reason: 'no-registered-device' }]);
  });

  it('mobile: one leg through the trunk, no softphones', () => {
    const plan = planForwarding(input({ mode: 'mobile' }));
    expect(plan.legs).toEqual([
      {
        kind: 'mobile',
        number: '+4915112345678',
        requestUri: 'sip:+4915112345678@trunk.example.net;transport=tcp',
        delayMs: 0,
        confirmAnswer: true,
      },
    ]);
  });

  it('both: softphones and mobile at once', () => {
    const plan = planForwarding(input({ mode: 'both' }));
    expect(plan.legs.map((l) => [l.kind, l.delayMs])).toEqual([
      ['softphone', 0],
      ['softphone', 0],
      ['mobile', 0],
    ]);
  });

  it('softphone-then-mobile: mobile after the delay, or at once when no softphone can ring', () => {
    const later = planForwarding(input({ mode: 'softphone-then-mobile' }));
    expect(later.legs.map((l) => [l.kind, l.delayMs])).toEqual([
      ['softphone', 0],
      ['softphone', 0],
      ['mobile', 15_000],
    ]);
    const alone = planForwarding(
      input({ mode: 'softphone-then-mobile', isUnreachable: () => true }),
    );
    expect(alone.legs.map((l) => [l.kind, l.delayMs])).toEqual([['mobile', 0]]);
  });

  it.each([
    [{ mobileNumber: null }, 'no-mobile-number'],
    [{ trunkUri: null }, 'no-trunk'],
    [{ mobileNumber: '+4930123456' }, 'mobile-not-allowed'],
    [{ allowList: MobileAllowList.empty }, 'mobile-not-allowed'],
  ] as const)('mobile is skipped when %j', (overrides, reason) => {
    const plan = planForwarding(input({ mode: 'mobile', ...overrides }));
    expect(plan.legs).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([reason]);
  });

  it('puts the number into the trunk URI, replacing any user part', () => {
    expect(trunkTarget('sips:gw@trunk.example.net:5061', '+4930123')).toBe(
      'sips:+4930123@trunk.example.net:5061',
    );
    expect(() => trunkTarget('http://x', '+1')).toThrow(TypeError);
  });

  it('brackets IPv6 source addresses in the next hop', () => {
    const plan = planForwarding(
      input({ contacts: [binding('sip:a@h', { sourceAddress: '2001:db8::1' })] }),
    );
    expect(plan.legs[0]).toMatchObject({ nextHop: 'sip:[2001:db8::1]:5070;transport=udp' });
  });
});

describe('forwardingSource', () => {
  const options = (o: Partial<ForwardingSourceOptions> = {}): ForwardingSourceOptions => ({
    agent: () => ({ mode: 'both', mobileNumber: '+4915112345678' }),
    bindings: () => [binding('sip:1001@10.0.0.5:5062')],
    allowList: () => MobileAllowList.parse(['+49151*']),
    trunkUri: 'sip:trunk.example.net',
    mobileDelayMs: 0,
    now: () => now,
    ...o,
  });
  const kinds = (plan: ForwardingPlan) => plan.legs.map((l) => l.kind);

  it('answers at once when the agent and the bindings are at hand', () => {
    const plan = forwardingSource(options()).planFor('a1');
    expect(plan).not.toBeInstanceOf(Promise);
    expect(kinds(plan as ForwardingPlan)).toEqual(['softphone', 'mobile']);
  });

  it('waits for a source that answers later, with the same plan', async () => {
    const plan = forwardingSource(
      options({ bindings: async () => [binding('sip:1001@10.0.0.5:5062')] }),
    ).planFor('a1');
    expect(plan).toBeInstanceOf(Promise);
    expect(kinds(await plan)).toEqual(['softphone', 'mobile']);
  });

  it('an unknown agent gets an empty plan, and a mobile-only agent does not read bindings', () => {
    expect(forwardingSource(options({ agent: () => null })).planFor('x')).toEqual({
      legs: [],
      skipped: [],
    });
    const mobileOnly = forwardingSource(
      options({
        agent: () => ({ mode: 'mobile', mobileNumber: '+4915112345678' }),
        bindings: () => {
          throw new Error('bindings read for a mobile-only agent');
        },
      }),
    ).planFor('a1');
    expect(kinds(mobileOnly as ForwardingPlan)).toEqual(['mobile']);
  });
});
