import { describe, expect, it } from 'vitest';
import { LastKnown } from '../../src/app/telephony/last-known.ts';

const down = async (): Promise<never> => {
  throw new Error('ECONNREFUSED');
};

describe('LastKnown (routing reads through a database outage)', () => {
  it('answers with the fresh value while the loader works, and remembers it', async () => {
    const cache = new LastKnown<string>(10, () => {});
    expect(await cache.read('a', async () => 'one')).toBe('one');
    expect(await cache.read('a', async () => 'two')).toBe('two');
    expect(await cache.read('a', down)).toBe('two');
  });

  it('falls back to a seeded value and reports the fallback', async () => {
    const fallbacks: string[] = [];
    const cache = new LastKnown<number | null>(10, (key) => fallbacks.push(key));
    cache.seed('+4930100', 7);
    cache.seed('gone', null);
    expect(await cache.read('+4930100', down)).toBe(7);
    expect(await cache.read('gone', down)).toBeNull();
    expect(fallbacks).toEqual(['+4930100', 'gone']);
  });

  it('rethrows for a key it has never seen', async () => {
    const cache = new LastKnown<string>(10, () => {});
    await expect(cache.read('new', down)).rejects.toThrow('ECONNREFUSED');
  });

  it('keeps at most maxKeys keys, dropping the least recently read', async () => {
    const cache = new LastKnown<string>(2, () => {});
    cache.seed('a', 'A');
    cache.seed('b', 'B');
    await cache.read('a', async () => 'A'); // a is now the most recent
    cache.seed('c', 'C');
    expect(cache.size).toBe(2);
    await expect(cache.read('b', down)).rejects.toThrow();
    expect(await cache.read('a', down)).toBe('A');
    expect(await cache.read('c', down)).toBe('C');
  });
});
