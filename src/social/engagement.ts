// Social engagement: what a post's network says people did with it, read back at about 1 h, 24 h and 7 days after
// posting (src/social/engagement-reader.ts). The numbers are the network's own names for them, per network.

/** When a post's metrics are read, after it was posted. */
export const ENGAGEMENT_READS = [
  { read: '1h', afterMs: 3_600_000 },
  { read: '24h', afterMs: 24 * 3_600_000 },
  { read: '7d', afterMs: 7 * 24 * 3_600_000 },
] as const;

export type EngagementRead = (typeof ENGAGEMENT_READS)[number];
export type EngagementReadName = EngagementRead['read'];

export const isEngagementRead = (value: string): value is EngagementReadName => ENGAGEMENT_READS.some((r) => r.read === value);

/**
 * The metrics of one post, by name: Mastodon favourites/reblogs/replies, Bluesky likes/reposts/replies/quotes,
 * Facebook reactions/comments/shares, X likes/reposts/replies/quotes (and impressions, bookmarks when given).
 */
export type EngagementMetrics = Record<string, number>;

export type Engagement =
  | { available: true; metrics: EngagementMetrics }
  /** The network will not give them to this account (X's access tier): recorded, not an error. */
  | { available: false; reason: string };

/** A count from a network's JSON: a non-negative integer, else 0 (a field the network left out counts nothing). */
export function count(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
