// The social side of a dispatch's report: each post with its metric reads (1h, 24h, 7d) as stored by
// src/social/engagement-reader.ts, and the newest numbers per post.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface EngagementReadReport {
  read: '1h' | '24h' | '7d';
  status: 'ok' | 'not_available';
  readAt: string;
  metrics: Record<string, number>;
  /** Why there are no numbers (`not_available`): the access tier, a deleted post. */
  note: string | null;
}

export interface PostEngagementReport {
  network: string;
  account: string;
  deliveryId: number;
  /** The post on its network; null when it never went out. */
  url: string | null;
  status: string;
  /** The reads so far, oldest first. */
  reads: EngagementReadReport[];
  /** The newest read's numbers (null until a read with numbers). */
  latest: Record<string, number> | null;
}

const ORDER = { '1h': 0, '24h': 1, '7d': 2 } as const;

export async function engagementReport(db: Kysely<Database>, dispatchId: number): Promise<PostEngagementReport[]> {
  const posts = await db.selectFrom('deliveries').select(['id', 'channel', 'recipient', 'status', 'remoteUrl'])
    .where('dispatchId', '=', dispatchId).where('channel', '!=', 'email').orderBy('id').execute();
  if (posts.length === 0) return [];
  const reads = await db.selectFrom('socialEngagement').selectAll().where('deliveryId', 'in', posts.map((p) => p.id)).execute();
  return posts.map((post) => {
    const own = reads.filter((r) => Number(r.deliveryId) === Number(post.id))
      .sort((a, b) => ORDER[a.read] - ORDER[b.read])
      .map((r) => ({ read: r.read, status: r.status, readAt: new Date(r.readAt).toISOString(), metrics: numbers(r.metrics), note: r.note }));
    const latest = own.filter((r) => r.status === 'ok').at(-1)?.metrics ?? null;
    return { network: post.channel, account: post.recipient, deliveryId: Number(post.id), url: post.remoteUrl, status: post.status, reads: own, latest };
  });
}

/** jsonb comes back parsed on PostgreSQL and PGlite alike; anything but a count is dropped. */
function numbers(value: unknown): Record<string, number> {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!parsed || typeof parsed !== 'object') return {};
  return Object.fromEntries(Object.entries(parsed).filter(([, n]) => typeof n === 'number'));
}
