// Polls one feed: fetches it (conditionally), and publishes each item it has not seen before through the publish use case
// it is handed (as POST /api/articles does). The first successful read only records what is already there (no flood of old articles).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { articleInput, type ArticleInput } from '../articles/article-input.js';
import type { Database } from '../db/schema.js';
import { OutboundFetchError, type OutboundFetcher } from '../net/outbound-fetch.js';
import { feedItemArticle } from './feed-article.js';
import { parseFeed, type FeedItem } from './feed-parser.js';

export interface FeedWatcherOptions {
  /** Per request. */
  timeoutMs: number;
  /** A larger response is refused (read no further). */
  maxBytes: number;
  log: Logger;
  /** Publishes one item as an article (the publish use case: stored, counted, queued); idempotent by externalId. */
  publish: FeedPublisher;
  /** The guarded fetcher: the configured feed URL is trusted as typed, whatever it redirects to is checked. */
  fetcher: OutboundFetcher;
}

export type FeedPublisher = (input: ArticleInput, cause: string) => Promise<{ articleId: number; created: boolean }>;

export interface FeedPollResult {
  outcome: 'baseline' | 'read' | 'not-modified';
  items: number;
  published: number;
  invalid: number;
}

/** The feed could not be read; the next poll tries again. */
export class FeedFetchError extends Error {}

export async function pollFeed(db: Kysely<Database>, url: string, options: FeedWatcherOptions): Promise<FeedPollResult> {
  await db.insertInto('feeds').values({ url }).onConflict((oc) => oc.column('url').doNothing()).execute();
  const feed = await db.selectFrom('feeds').selectAll().where('url', '=', url).executeTakeFirstOrThrow();
  try {
    const response = await options.fetcher.fetch(url, {
      headers: {
        accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1',
        'user-agent': 'Herald feed watcher',
        ...(feed.etag ? { 'if-none-match': feed.etag } : {}),
        ...(feed.lastModified ? { 'if-modified-since': feed.lastModified } : {}),
      },
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      trustFirstUrl: true,
    });
    if (response.status === 304) {
      await db.updateTable('feeds').set({ lastPolledAt: sql<Date>`now()`, lastError: null }).where('url', '=', url).execute();
      return { outcome: 'not-modified', items: 0, published: 0, invalid: 0 };
    }
    if (response.status < 200 || response.status >= 300) throw new FeedFetchError(`HTTP ${response.status}`);
    const parsed = parseFeed(response.body.toString('utf8'), url);
    const baseline = !feed.firstPolledAt;
    const result = baseline ? await recordBaseline(db, url, parsed.items) : await publishNewItems(db, url, parsed.items, options);
    await db
      .updateTable('feeds')
      .set({
        firstPolledAt: sql<Date>`coalesce(first_polled_at, now())`,
        lastPolledAt: sql<Date>`now()`,
        lastError: null,
        etag: response.headers.etag ?? null,
        lastModified: response.headers['last-modified'] ?? null,
      })
      .where('url', '=', url)
      .execute();
    return { outcome: baseline ? 'baseline' : 'read', items: parsed.items.length, ...result };
  } catch (error) {
    const message = error instanceof OutboundFetchError && error.code === 'too_large'
      ? `the feed is ${error.message}`
      : (error as Error).message;
    await db.updateTable('feeds').set({ lastPolledAt: sql<Date>`now()`, lastError: message.slice(0, 500) }).where('url', '=', url).execute();
    throw error instanceof FeedFetchError ? error : new FeedFetchError(message);
  }
}

async function recordBaseline(db: Kysely<Database>, url: string, items: FeedItem[]) {
  const ids = [...new Set(items.map((i) => i.id).filter(Boolean))];
  if (ids.length > 0) {
    await db
      .insertInto('feedItems')
      .values(ids.map((itemId) => ({ feedUrl: url, itemId, status: 'baseline' as const, detail: 'in the feed when Herald first read it' })))
      .onConflict((oc) => oc.columns(['feedUrl', 'itemId']).doNothing())
      .execute();
  }
  return { published: 0, invalid: 0 };
}

async function publishNewItems(db: Kysely<Database>, url: string, items: FeedItem[], options: FeedWatcherOptions) {
  const withId = items.filter((i) => i.id);
  const known = withId.length === 0 ? [] : await db
    .selectFrom('feedItems')
    .select('itemId')
    .where('feedUrl', '=', url)
    .where('itemId', 'in', withId.map((i) => i.id))
    .execute();
  const seen = new Set(known.map((k) => k.itemId));
  // Feeds list newest first; publishing oldest first keeps the dispatches in the order the articles appeared.
  const fresh: FeedItem[] = [];
  for (const item of [...withId].reverse()) {
    if (seen.has(item.id)) continue; // known, or listed twice in this document
    seen.add(item.id);
    fresh.push(item);
  }
  const result = { published: 0, invalid: 0 };
  for (const item of fresh) {
    const input = articleInput.safeParse(feedItemArticle(item, url));
    if (!input.success) {
      const detail = input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      options.log.warn({ event: 'feed.item_invalid', feed: url, item: item.id, detail }, 'feed item is not a valid article; skipped');
      await markItem(db, url, item.id, 'invalid', null, detail);
      result.invalid++;
      continue;
    }
    // Publishing is idempotent by externalId, so a crash between it and markItem publishes nothing twice.
    const published = await options.publish(input.data, `feed:${url}`);
    await markItem(db, url, item.id, 'published', published.articleId, null);
    if (published.created) {
      result.published++;
      options.log.info({ event: 'feed.item_published', feed: url, item: item.id, articleId: published.articleId }, 'feed item published');
    }
  }
  return result;
}

async function markItem(db: Kysely<Database>, feedUrl: string, itemId: string, status: 'published' | 'invalid', articleId: number | null, detail: string | null) {
  await db
    .insertInto('feedItems')
    .values({ feedUrl, itemId, status, articleId, detail: detail?.slice(0, 1000) ?? null })
    .onConflict((oc) => oc.columns(['feedUrl', 'itemId']).doNothing())
    .execute();
}
