import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

describe('project', () => {
  it('runs as an ES module on Node 20 or newer', () => {
    expect(pkg.type).toBe('module');
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
  });
});
