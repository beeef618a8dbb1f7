// Delivery retention: a dispatch finished longer ago than the window has its email delivery rows rolled into totals
// and deleted, chunk by chunk, and the API answers the same figures as before; recent and running dispatches, social
// rows and uncertain ones are untouched, and a second pass changes nothing.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollUpDeliveries } from '../../../src/delivery/delivery-retention.js';
import { RetentionPass } from '../../../src/delivery/retention-pass.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, randomPrefix, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const READERS = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
const DAY = 86_400_000;

let smtp: SmtpSink;
let herald: TestHerald;
let old: number;
let recent: number;
let running: number;

async function publishAndWait(externalId: string): Promise<number> {
  const response = await herald.api('/api/articles', { body: { ...articlePayload({ externalId }), channels: ['email'] } });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed', 30_000);
  return dispatch.id;
}

const rowsOf = async (dispatchId: number) =>
  herald.ctx.db.selectFrom('deliveries').select(['channel', 'recipient', 'status', 'failure']).where('dispatchId', '=', dispatchId)
    .orderBy('recipient').execute();
const totals = () => herald.ctx.db.selectFrom('deliveryTotals').selectAll().orderBy('dispatchId').orderBy('channel').orderBy('status').orderBy('failure').execute();
const figures = async (dispatchId: number) => {
  const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
  const report = await (await herald.api(`/api/dispatches/${dispatchId}/report`)).json();
  return { progress: view.progress, delivered: report.delivered, failed: report.failed };
};

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url } });
  for (const email of READERS) expect((await herald.api('/api/subscribers', { body: { email } })).status).toBe(201);
  old = await publishAndWait('retention-old');
  recent = await publishAndWait('retention-recent');
  running = await publishAndWait('retention-running');
  // Every outcome a finished email delivery can have, an uncertain one waiting for an editor, and a social post.
  const extra = [
    { recipient: 'x1@example.com', status: 'failed', failure: 'permanent_address' },
    { recipient: 'x2@example.com', status: 'failed', failure: 'permanent_address' },
    { recipient: 'x3@example.com', status: 'failed', failure: null },
    { recipient: 'x4@example.com', status: 'blocked', failure: 'policy' },
    { recipient: 'x5@example.com', status: 'skipped', failure: null },
    { recipient: 'x6@example.com', status: 'uncertain', failure: null },
  ] as const;
  await herald.ctx.db.insertInto('deliveries')
    .values([
      ...extra.map((row) => ({ dispatchId: old, channel: 'email', ...row })),
      { dispatchId: old, channel: 'mastodon', recipient: 'mastodon', status: 'sent' as const, remoteId: '109' },
    ])
    .execute();
  const longAgo = new Date(Date.now() - 40 * DAY);
  await herald.ctx.db.updateTable('dispatches').set({ completedAt: longAgo }).where('id', '=', old).execute();
  // Running, with a completion date in the window all the same: its status alone keeps it.
  await herald.ctx.db.updateTable('dispatches').set({ status: 'running', completedAt: longAgo }).where('id', '=', running).execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('delivery retention', () => {
  it('rolls up a dispatch finished before the window, in chunks, with the same figures in the API', async () => {
    const before = await figures(old);
    expect(before.delivered).toBe(READERS.length);
    const liveBefore = await rowsOf(old);
    const recentBefore = await rowsOf(recent);
    const runningBefore = await rowsOf(running);

    const removed = await rollUpDeliveries(herald.ctx.db, { olderThanDays: 30, chunkSize: 3 });

    // Four sent, three failed, one blocked, one skipped: more than three chunks' worth.
    expect(removed).toBe(READERS.length + 5);
    expect(await rowsOf(old)).toEqual(liveBefore.filter((r) => r.channel !== 'email' || r.status === 'uncertain'));
    expect((await totals()).map(({ dispatchId, channel, status, failure, count }) => ({ dispatchId, channel, status, failure, count: Number(count) }))).toEqual([
      { dispatchId: old, channel: 'email', status: 'blocked', failure: 'policy', count: 1 },
      { dispatchId: old, channel: 'email', status: 'failed', failure: 'permanent_address', count: 2 },
      { dispatchId: old, channel: 'email', status: 'failed', failure: null, count: 1 },
      { dispatchId: old, channel: 'email', status: 'sent', failure: null, count: READERS.length },
      { dispatchId: old, channel: 'email', status: 'skipped', failure: null, count: 1 },
    ]);
    expect(await figures(old)).toEqual(before);
    expect(await rowsOf(recent)).toEqual(recentBefore);
    expect(await rowsOf(running)).toEqual(runningBefore);
  });

  it('changes nothing when run again', async () => {
    const totalsBefore = await totals();
    const figuresBefore = await figures(old);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from deliveries`.execute(herald.ctx.db);
    expect(await rollUpDeliveries(herald.ctx.db, { olderThanDays: 30, chunkSize: 3 })).toBe(0);
    expect(await totals()).toEqual(totalsBefore);
    expect(await figures(old)).toEqual(figuresBefore);
    expect((await sql<{ n: number }>`select count(*)::int as n from deliveries`.execute(herald.ctx.db)).rows).toEqual(rows);
  });

  it('runs as a pass in one process at a time, under a Redis lock', async () => {
    await herald.ctx.db.updateTable('dispatches').set({ completedAt: new Date(Date.now() - 40 * DAY) }).where('id', '=', recent).execute();
    const lockKey = `${randomPrefix()}:retention-lock`;
    const passes = [1, 2].map(() => new RetentionPass(herald.ctx.db, herald.ctx.redis, { retentionDays: 30, lockKey }));
    const rolledUp: number[] = [];
    for (const pass of passes) pass.on('rolledUp', (n: number) => rolledUp.push(n));
    for (const pass of passes) pass.start();
    await eventually(async () => (await rowsOf(recent)).length === 0, 10_000, 'the recent dispatch to be rolled up');
    for (const pass of passes) await pass.stop();
    expect(rolledUp).toEqual([READERS.length]);
    expect(await herald.ctx.redis.pttl(lockKey)).toBeGreaterThan(0);
    await herald.ctx.redis.del(lockKey);
  });
});
