import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderedSet } from '../../src/acd/collections/ordered-set.ts';

describe('OrderedSet', () => {
  it('agrees with a sorted array under random inserts and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 })), { maxLength: 300 }),
        (ops) => {
          const set = new OrderedSet<number>((a, b) => a - b);
          const model = new Set<number>();
          for (const [add, v] of ops) {
            if (add && !model.has(v)) {
              set.insert(v);
              model.add(v);
            } else if (!add) {
              expect(set.delete(v)).toBe(model.has(v));
              model.delete(v);
            }
          }
          const sorted = [...model].sort((a, b) => a - b);
          expect(set.toArray()).toEqual(sorted);
          expect(set.size).toBe(sorted.length);
          expect(set.first()).toBe(sorted[0]);
          sorted.forEach((v, i) => {
            expect(set.at(i)).toBe(v);
            expect(set.rank(v)).toBe(i);
            expect(set.has(v)).toBe(true);
          });
          expect(set.after(30)).toBe(sorted.find((v) => v > 30));
          const walked: number[] = [];
          set.walk((v) => {
            walked.push(v);
            return walked.length < 5;
          }, 20);
          expect(walked).toEqual(sorted.filter((v) => v > 20).slice(0, 5));
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
