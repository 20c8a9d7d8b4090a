import { describe, expect, it } from 'vitest';
import {
  decideFeatureCode,
  type FeatureCodeAgent,
  featureCodeOf,
} from '../../src/calls/inbound/feature-codes.ts';

const agent = (overrides: Partial<FeatureCodeAgent> = {}): FeatureCodeAgent => ({
  id: 'a1',
  status: 'away',
  mayChangeOwnStatus: true,
  ...overrides,
});

describe('feature codes', () => {
  it('*51 sets an away agent available', () => {
    expect(decideFeatureCode('*51', agent())).toEqual({
      kind: 'set-status',
      agentId: 'a1',
      status: 'available',
      changed: true,
    });
  });

  it('*52 sets an available agent away', () => {
    expect(decideFeatureCode('*52', agent({ status: 'available' }))).toEqual({
      kind: 'set-status',
      agentId: 'a1',
      status: 'away',
      changed: true,
    });
  });

  it('reports no change when the agent already has the status', () => {
    expect(decideFeatureCode('*52', agent({ status: 'away' }))).toMatchObject({
      kind: 'set-status',
      changed: false,
    });
  });

  it('*51 ends a break or offline status too', () => {
    expect(decideFeatureCode('*51', agent({ status: 'break' }))).toMatchObject({
      status: 'available',
      changed: true,
    });
    expect(decideFeatureCode('*51', agent({ status: 'offline' }))).toMatchObject({
      status: 'available',
      changed: true,
    });
  });

  it('refuses an agent who may not change their own status with 403', () => {
    expect(decideFeatureCode('*51', agent({ mayChangeOwnStatus: false }))).toEqual({
      kind: 'refuse',
      sipStatus: 403,
      reason: 'not-allowed',
    });
  });

  it('refuses callers that are not registered agents with 403, whatever the code', () => {
    expect(decideFeatureCode('*51', null)).toEqual({
      kind: 'refuse',
      sipStatus: 403,
      reason: 'not-an-agent',
    });
    expect(decideFeatureCode('*99', null)).toEqual({
      kind: 'refuse',
      sipStatus: 403,
      reason: 'not-an-agent',
    });
  });

  it('answers 404 to an agent dialling an unknown code', () => {
    expect(decideFeatureCode('*53', agent())).toEqual({
      kind: 'refuse',
      sipStatus: 404,
      reason: 'unknown-code',
    });
  });

  it('leaves ordinary numbers alone', () => {
    expect(decideFeatureCode('+493012345', agent())).toEqual({ kind: 'not-a-feature-code' });
    expect(decideFeatureCode('51', agent())).toEqual({ kind: 'not-a-feature-code' });
    expect(decideFeatureCode('*', agent())).toEqual({ kind: 'not-a-feature-code' });
    expect(decideFeatureCode('*5a', agent())).toEqual({ kind: 'not-a-feature-code' });
  });

  it('reads percent-encoded stars and ignores user parameters', () => {
    expect(featureCodeOf('%2A51')).toBe('*51');
    expect(featureCodeOf('*52;user=phone')).toBe('*52');
    expect(featureCodeOf('%E0%A4%A')).toBeNull();
  });
});
