// The digest schedulers live only in Redis. Whichever process wins the reconciler's pass lock writes them back when
// Redis lost them, an API-only process too (in a compose deployment it often wins: it was the last thing missing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_SCHEDULER_IDS } from '../../../src/digest/digest-scheduler.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';

let api: TestHerald;

beforeAll(async () => {
  api = await startTestHerald({ workers: false, env: { DIGEST_SCHEDULERS: 'on', HERALD_RECONCILE_INTERVAL_MS: '200' } });
});
afterAll(async () => {
  await api?.stop();
});

const schedulers = () => Promise.all(Object.values(DIGEST_SCHEDULER_IDS).map((id) => api.ctx.queues.digest.getJobScheduler(id)));

describe('an API-only process', () => {
  it('writes the digest schedulers back after Redis lost them', async () => {
    await eventually(async () => (await schedulers()).every(Boolean), 10_000, 'the schedulers at start');
    for (const id of Object.values(DIGEST_SCHEDULER_IDS)) await api.ctx.queues.digest.removeJobScheduler(id);
    expect((await schedulers()).some(Boolean)).toBe(false);

    const back = await eventually(async () => {
      const found = await schedulers();
      return found.every(Boolean) && found;
    }, 10_000, 'the schedulers written back');
    expect(back.map((s) => s!.key)).toEqual(Object.values(DIGEST_SCHEDULER_IDS));
  });
});
