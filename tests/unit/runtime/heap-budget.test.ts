import { describe, expect, it } from 'vitest';
import { startHeapBudget, type HeapCollection } from '../../../src/runtime/heap-budget.js';

describe('heap budget', () => {
  it('collects once the heap grew past its budget, then counts growth from what the collection left', () => {
    const collections: HeapCollection[] = [];
    const budget = startHeapBudget({ budgetBytes: 8 * 1024 * 1024, intervalMs: 60_000, onCollected: (c) => collections.push(c) });
    try {
      expect(budget.check()).toBe(false);
      // ~20 MB that stays reachable: the collection cannot free it, so the next look must not collect again.
      const held = Array.from({ length: 200_000 }, (_, i) => ({ i, text: `reader-${i}@example.org`.repeat(3) }));
      expect(budget.check()).toBe(true);
      expect(collections).toHaveLength(1);
      expect(budget.check()).toBe(false);
      expect(held.length).toBe(200_000);
    } finally {
      budget.stop();
    }
  });
});
