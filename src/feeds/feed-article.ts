// A feed item as the payload POST /api/articles takes, so it goes through the same validation and sanitising.
import { createHash } from 'node:crypto';
import { cleanLine, stripTags, truncateText } from '../text/plain-text.js';
import type { FeedItem } from './feed-parser.js';

/** articleInput's limits, kept to here so a long feed field shortens instead of failing the item. */
const MAX_EXTERNAL_ID = 200;
const MAX_EXCERPT = 600;
const MAX_TAGS = 50;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The item's id as an article's externalId, namespaced by its feed (`feed:<feed hash>:<guid>`): a feed item can then
 * never take the externalId a CMS article or another feed's item will arrive with. Migration 0005 moved older ones.
 */
export function feedItemExternalId(feedUrl: string, itemId: string): string {
  const id = itemId.trim();
  const source = `feed:${sha256(feedUrl).slice(0, 12)}`;
  return id.length <= MAX_EXTERNAL_ID - 20 ? `${source}:${id}` : `${source}:h:${sha256(id)}`;
}

export function feedItemArticle(item: FeedItem, feedUrl: string): Record<string, unknown> {
  const excerpt = truncateText(cleanLine(stripTags(item.summary || item.html)), MAX_EXCERPT);
  return {
    externalId: feedItemExternalId(feedUrl, item.id),
    title: item.title || truncateText(excerpt, 120),
    url: item.url ?? '',
    excerpt,
    html: item.html,
    ...(item.author ? { author: { name: item.author.slice(0, 300) } } : {}),
    tags: item.tags.slice(0, MAX_TAGS).map((t) => t.slice(0, 200)),
    ...(item.imageUrl ? { image: { url: item.imageUrl, alt: '' } } : {}),
    ...(item.publishedAt ? { publishedAt: item.publishedAt } : {}),
  };
}

