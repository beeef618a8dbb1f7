// GET /api/dispatches/:id/live: the counts, the sending rate over the recent window, the ETA at that rate, and the
// failures grouped by channel, status and reason with a few recipients each. Rows are written as a send would leave
// them, at known moments, and the view is read at a known `now`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { liveProgress } from '../../src/dispatch/live-progress.js';
import { articlePayload } from '../support/articles.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({ workers: false });
});
afterAll(() => herald?.stop());

it('reports the rate over the last 15 seconds, the ETA at that rate, and failures by reason', async () => {
  const { dispatch } = await (await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'], schedule: { at: '2099-01-01T00:00:00Z' } } })).json();
  const now = new Date('2026-06-01T12:00:00Z');
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000);
  await herald.ctx.db.updateTable('dispatches').set({ status: 'running', startedAt: at(60) }).where('id', '=', dispatch.id).execute();
  const subscribers = await herald.ctx.db.insertInto('subscribers')
    .values(Array.from({ length: 60 }, (_, i) => ({ email: `live-${i}@example.com`, status: 'confirmed' as const })))
    .returning(['id', 'email']).execute();
  let next = 0;
  const deliveries = async (count: number, status: string, secondsAgo: number, lastResponse: string | null = null) => {
    const rows = subscribers.slice(next, next + count);
    next += count;
    await herald.ctx.db.insertInto('deliveries').values(rows.map((s) => ({
      dispatchId: dispatch.id, channel: 'email', recipient: String(s.id), subscriberId: s.id, batchNo: 1,
      status, lastResponse, updatedAt: at(secondsAgo),
    })) as never).execute();
    return rows.map((s) => s.email);
  };
  await deliveries(20, 'sent', 40); // before the window: not in the rate
  await deliveries(27, 'sent', 5); // 27 in the last 15 s
  const unknownUser = await deliveries(2, 'failed', 8, 'smtp_550: 550 5.1.1 no such user');
  const full = await deliveries(1, 'failed', 9, 'smtp_552: 552 mailbox full');
  const retrying = await deliveries(4, 'pending', 3, 'smtp_452: 452 try later');
  await deliveries(6, 'pending', 100);

  const live = (await liveProgress(herald.ctx.db, dispatch.id, now))!;
  expect(live.channels).toEqual([{ channel: 'email', total: 60, sent: 47, failed: 3, pending: 10, counts: { sent: 47, failed: 3, pending: 10 } }]);
  // 27 sent + 3 failed finished within the 15 s window: 2 per second; 10 left at that pace take 5 s.
  expect(live.rate).toBe(2);
  expect(live.etaSeconds).toBe(5);
  expect(live.failures).toEqual([
    { channel: 'email', status: 'retrying', reason: 'smtp_452: 452 try later', count: 4, examples: retrying.slice(0, 3) },
    { channel: 'email', status: 'failed', reason: 'smtp_550: 550 5.1.1 no such user', count: 2, examples: unknownUser },
    { channel: 'email', status: 'failed', reason: 'smtp_552: 552 mailbox full', count: 1, examples: full },
  ]);

  // The endpoint serves the same view (read at its own now: no recent rate, so no ETA either).
  const response = await herald.api(`/api/dispatches/${dispatch.id}/live`);
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(body).toMatchObject({ id: dispatch.id, status: 'running', rate: null, etaSeconds: null, channels: live.channels });
  expect(body.failures).toEqual(live.failures);
  expect((await herald.api('/api/dispatches/999999/live')).status).toBe(404);

  // Paused or finished: no rate, no ETA.
  await herald.ctx.db.updateTable('dispatches').set({ status: 'paused' }).where('id', '=', dispatch.id).execute();
  expect(await liveProgress(herald.ctx.db, dispatch.id, now)).toMatchObject({ rate: null, etaSeconds: null });
});
