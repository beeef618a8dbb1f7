// The coalescer behind Postmark's batch calls (pure, no network): sends arriving together share a call, no call
// carries more than its maximum, each sender gets its own message's result, and a failed call fails each of its own.
import { describe, expect, it } from 'vitest';
import { SendCoalescer } from '../../../src/email/transports/send-coalescer.js';

describe('SendCoalescer', () => {
  it('gathers concurrent sends into calls of at most maxBatch, answering each with its own result', async () => {
    const calls: number[][] = [];
    const coalescer = new SendCoalescer<number, string>(async (items) => {
      calls.push(items);
      return items.map((n) => (n === 4 ? { error: new Error(`refused ${n}`) } : { value: `ok ${n}` }));
    }, 3, 5);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => coalescer.send(n)));
    expect(calls).toEqual([[1, 2, 3], [4, 5]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['ok 1', 'ok 2', 'ok 3', 'refused 4', 'ok 5']);
  });

  it('fails every message of a call that failed, and no other', async () => {
    let call = 0;
    const coalescer = new SendCoalescer<number, number>(async (items) => {
      if (++call === 1) throw new Error('HTTP 503');
      return items.map((n) => ({ value: n }));
    }, 10, 1);
    const first = await Promise.allSettled([coalescer.send(1), coalescer.send(2)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await coalescer.send(3)).toBe(3);
  });

  it('a call that answers fewer results than it carried leaves the missing ones in doubt (rejected)', async () => {
    const coalescer = new SendCoalescer<number, number>(async () => [{ value: 1 }], 10, 1);
    const results = await Promise.allSettled([coalescer.send(1), coalescer.send(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });
});
