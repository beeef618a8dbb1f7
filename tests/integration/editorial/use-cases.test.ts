// The application layer's outcome unions against the test database: each use case says what happened (done, not
// found, wrong status, already published) instead of throwing, and does its side steps (count, relay kick, queue).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleInput } from '../../../src/articles/article-input.js';
import { createEditorial, type Editorial } from '../../../src/editorial/editorial.js';
import type { Queues } from '../../../src/queue/queues.js';
import type { Metrics } from '../../../src/runtime/metrics.js';
import { articlePayload } from '../../support/articles.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let database: TestDatabase;
let editorial: Editorial;
const kicks = { relay: 0, published: 0 };
const removedJobs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  // Only what these paths touch: none of them reaches Redis (a cancel removes a start job that may not exist).
  const queues = { dispatch: { remove: async (jobId: string) => (removedJobs.push(jobId), 1) } } as unknown as Queues;
  const metrics = { published: { inc: () => kicks.published++ } } as unknown as Pick<Metrics, 'published'>;
  editorial = createEditorial({
    db: database.db,
    queues,
    relay: { kick: () => kicks.relay++ },
    metrics,
    editionSettings: () => ({ publicUrl: 'http://herald.test', secret: 'test-secret', mailFrom: 'news@example.org', listName: 'Test', postalAddress: '1 Test St' }),
  });
});
afterAll(async () => {
  await database?.drop();
});

const article = (overrides: Record<string, unknown> = {}) => articleInput.parse({ ...articlePayload(), channels: ['email'], ...overrides });

describe('publish', () => {
  it('stores the article with a dispatch, counts it and kicks the relay once', async () => {
    const before = { ...kicks };
    const outcome = await editorial.publish(article(), 'test');
    expect(outcome.kind).toBe('published');
    if (outcome.kind !== 'published') return;
    expect(outcome.dispatch).toMatchObject({ articleId: outcome.article.id, status: 'pending', channels: ['email'] });
    expect(kicks).toEqual({ relay: before.relay + 1, published: before.published + 1 });
  });

  it('publishes a repeated externalId as already published, pointing at the dispatch it got, and kicks nothing', async () => {
    const input = article();
    const first = await editorial.publish(input, 'test');
    const before = { ...kicks };
    const again = await editorial.publish(input, 'test');
    expect(again).toMatchObject({ kind: 'already-published', article: { id: first.article.id } });
    expect(again.kind === 'already-published' && again.latestDispatchId).toBe(first.kind === 'published' && first.dispatch.id);
    expect(kicks).toEqual(before);
  });
});

describe('cancel', () => {
  it('cancels, removes the start job and reports what went out; a second cancel is the wrong status', async () => {
    const published = await editorial.publish(article(), 'test');
    if (published.kind !== 'published') throw new Error('not published');
    const id = published.dispatch.id;
    const outcome = await editorial.cancel(id, 'test');
    expect(outcome).toMatchObject({ kind: 'cancelled', report: { id, status: 'cancelled', sent: 0, unsent: 0 } });
    expect(removedJobs).toContain(`dispatch-${id}`);
    expect(await editorial.cancel(id, 'test')).toEqual({ kind: 'wrong-status', status: 'cancelled' });
  });

  it('answers not-found for a dispatch that does not exist', async () => {
    expect(await editorial.cancel(999_999, 'test')).toEqual({ kind: 'not-found' });
  });
});

describe('steering', () => {
  it('refuses to pause a dispatch that is not running, or to resume one that is not paused, saying its status', async () => {
    const published = await editorial.publish(article(), 'test');
    if (published.kind !== 'published') throw new Error('not published');
    expect(await editorial.pause(published.dispatch.id, 'test')).toEqual({ kind: 'wrong-status', status: 'pending' });
    expect(await editorial.resume(published.dispatch.id, 'test')).toEqual({ kind: 'wrong-status', status: 'pending' });
    expect(await editorial.release(published.dispatch.id, 'test')).toEqual({ kind: 'wrong-status', status: 'pending' });
  });

  it('pauses a running dispatch', async () => {
    const published = await editorial.publish(article(), 'test');
    if (published.kind !== 'published') throw new Error('not published');
    await database.db.updateTable('dispatches').set({ status: 'running' }).where('id', '=', published.dispatch.id).execute();
    expect(await editorial.pause(published.dispatch.id, 'test')).toMatchObject({ kind: 'done', dispatch: { status: 'paused' } });
  });

  it('answers not-found for a dispatch that does not exist', async () => {
    expect(await editorial.pause(999_999, 'test')).toEqual({ kind: 'not-found' });
    expect(await editorial.reschedule(999_999, { at: '2030-01-01T09:00:00Z' }, 'test')).toEqual({ kind: 'not-found' });
  });
});

describe('testSend', () => {
  it('answers not-found for a dispatch that does not exist, before queueing anything', async () => {
    expect(await editorial.testSend(999_999, 'editor@example.org')).toEqual({ kind: 'not-found' });
  });
});

describe('resolveDelivery', () => {
  it('settles an uncertain delivery once; then it is the wrong status; an unknown id is not found', async () => {
    const published = await editorial.publish(article(), 'test');
    if (published.kind !== 'published') throw new Error('not published');
    const { id } = await database.db
      .insertInto('deliveries')
      .values({ dispatchId: published.dispatch.id, channel: 'mastodon', recipient: '@news', status: 'uncertain' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const resolved = await editorial.resolveDelivery(id, { status: 'sent', note: 'it is there', remoteUrl: 'https://social.example/1' }, 'test');
    expect(resolved).toMatchObject({
      kind: 'resolved',
      delivery: { id, status: 'sent', lastResponse: 'resolved by an editor: it is there', remoteUrl: 'https://social.example/1' },
    });
    expect(await editorial.resolveDelivery(id, { status: 'failed' }, 'test')).toEqual({ kind: 'wrong-status', status: 'sent' });
    expect(await editorial.resolveDelivery(999_999, { status: 'failed' }, 'test')).toEqual({ kind: 'not-found' });
  });
});
