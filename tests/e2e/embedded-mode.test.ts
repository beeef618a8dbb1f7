// The quick start's embedded defaults: PGlite on disk, the capture inbox for mail; restarts keep everything, and a
// dispatch written while Herald was down is sent when it comes back (the outbox relay runs at start).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { articleInput } from '../../src/articles/article-input.js';
import { publishArticle } from '../../src/articles/publish.js';
import { migrate, openDatabase, pgliteDataDir } from '../../src/db/database.js';
import { articlePayload, fixturePayload } from '../support/articles.js';
import { clearQueuePrefix, eventually, randomPrefix, startTestHerald, type TestHerald } from '../support/herald.js';

const prefix = randomPrefix();
const dirs: string[] = [];

afterAll(async () => {
  await clearQueuePrefix(prefix);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function completed(herald: TestHerald, dispatchId: number) {
  return eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
    return view.status === 'completed' && view;
  }, 30_000, `dispatch ${dispatchId}`);
}

describe('embedded mode', () => {
  /** A fresh data dir of its own for each test: none relies on what another left behind. */
  function dataDirFor(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), `herald-embedded-${name}-`));
    dirs.push(dir);
    return dir;
  }
  const start = (dataDir: string) => startTestHerald({ embedded: true, dataDir, keepQueues: true, env: { HERALD_QUEUE_PREFIX: prefix } });

  /** Runs a Herald on the data dir: one reader, one seed edition sent into the capture inbox. */
  async function sendSeedEdition(dataDir: string) {
    const herald = await start(dataDir);
    try {
      await herald.api('/api/subscribers', { body: { email: 'reader@example.com', name: 'Reader' } });
      const published = await (await herald.api('/api/articles', { body: fixturePayload('seed-article') })).json();
      await completed(herald, published.dispatch.id);
      return published as { id: number; dispatch: { id: number } };
    } finally {
      await herald.stop();
    }
  }

  it('sends the edition into the capture inbox and serves the web copy', async () => {
    const herald = await start(dataDirFor('inbox'));
    try {
      await herald.api('/api/subscribers', { body: { email: 'reader@example.com', name: 'Reader' } });
      const published = await (await herald.api('/api/articles', { body: fixturePayload('seed-article') })).json();
      await completed(herald, published.dispatch.id);
      const { messages } = await (await herald.api('/api/outbox')).json();
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ to: '"Reader" <reader@example.com>', subject: expect.stringContaining('America, ISIS Accomplice') });
      const raw = await (await herald.api(`/api/outbox/${messages[0].file}`)).text();
      const parsed = await simpleParser(raw);
      expect(parsed.text).toContain('Deir ez-Zor');
      expect((await herald.api('/api/outbox/..%2Fsecret')).status).toBe(400);
      // The inbox's own name answers the same as its first path.
      expect((await (await herald.api('/api/capture-inbox')).json()).messages).toEqual(messages);

      // The "view in browser" link of the mail itself: a tracked link (/l/…) that redirects to the web copy, whose id
      // is random, not the dispatch id.
      const viewLink = /<a href="([^"]+)"[^>]*>View in browser<\/a>/.exec(String(parsed.html))?.[1];
      expect(viewLink).toMatch(/\/l\//);
      const redirect = await fetch(viewLink!.replace(/&amp;/g, '&'), { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const webPath = /\/editions\/[A-Za-z0-9_-]{16,}/.exec(redirect.headers.get('location') ?? '')?.[0];
      expect(webPath).toBeDefined();
      expect((await fetch(`${herald.baseUrl}/editions/${published.dispatch.id}`)).status).toBe(400);
      const web = await fetch(`${herald.baseUrl}${webPath}`);
      expect(web.status).toBe(200);
      const html = await web.text();
      expect(html).toContain('Deir ez-Zor');
      expect(html).not.toContain('%%recipient.');
    } finally {
      await herald.stop();
    }
  });

  it('keeps every article and subscriber across a restart', async () => {
    const dataDir = dataDirFor('restart');
    const { id: articleId } = await sendSeedEdition(dataDir);
    const herald = await start(dataDir);
    try {
      const article = await (await herald.api(`/api/articles/${articleId}`)).json();
      expect(article.externalId).toBe('seed-2016-09-isis-audio');
      const { subscribers } = await (await herald.api('/api/subscribers')).json();
      expect(subscribers.map((s: { email: string }) => s.email)).toEqual(['reader@example.com']);
    } finally {
      await herald.stop();
    }
  });

  it('sends the dispatches of a fresh database even though Redis still holds the old one’s jobs', async () => {
    // Same Redis, same prefix, a new data dir each time: dispatch ids start at 1 again, while the completed jobs of
    // the first database's dispatch 1 are still kept in Redis under their deterministic ids.
    const sharedPrefix = randomPrefix();
    for (const round of [1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), `herald-fresh-${round}-`));
      const herald = await startTestHerald({ embedded: true, dataDir: dir, keepQueues: true, env: { HERALD_QUEUE_PREFIX: sharedPrefix } });
      try {
        await herald.api('/api/subscribers', { body: { email: `reader-${round}@example.com` } });
        const published = await (await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } })).json();
        expect(published.dispatch.id).toBe(1);
        const view = await completed(herald, published.dispatch.id);
        expect(view.progress).toEqual([{ channel: 'email', total: 1, counts: { sent: 1 } }]);
      } finally {
        await herald.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    await clearQueuePrefix(sharedPrefix);
  });

  it('sends a dispatch that was committed while Herald was down', async () => {
    const dataDir = dataDirFor('down');
    await sendSeedEdition(dataDir);
    // As if the process died right after the publish transaction committed, before anything was queued.
    const { db } = await openDatabase({ dataDir: pgliteDataDir(dataDir) });
    await migrate(db);
    const { dispatch } = await publishArticle(db, articleInput.parse({ ...articlePayload(), channels: ['email'] }));
    await db.destroy();

    const herald = await start(dataDir);
    try {
      const view = await completed(herald, dispatch!.id);
      expect(view.progress).toEqual([{ channel: 'email', total: 1, counts: { sent: 1 } }]);
      const { messages } = await (await herald.api('/api/outbox')).json();
      expect(messages).toHaveLength(2);
    } finally {
      await herald.stop();
    }
  });
});
