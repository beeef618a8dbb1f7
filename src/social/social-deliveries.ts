// Social deliveries in the database: one row per (dispatch, network, account); every status change logged as an event.
import { sql, type Kysely } from 'kysely';
import type { Database, DeliveryRow, DeliveryStatus, PostPartState, Retraction } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';
import { threadPartsOf } from './thread-parts.js';

export interface NewSocialDelivery {
  dispatchId: number;
  channel: string;
  recipient: string;
  status: Extract<DeliveryStatus, 'pending' | 'preview' | 'failed'>;
  content: string | null;
  lastResponse: string | null;
}

/** A social delivery as the API shows it under a dispatch's `posts`. */
export interface SocialPostView {
  id: number;
  channel: string;
  account: string;
  status: DeliveryStatus;
  content: string | null;
  remoteId: string | null;
  remoteUrl: string | null;
  lastResponse: string | null;
  attempts: number;
  updatedAt: Date;
  /** Null unless the article was retracted: then what deleting the post came to, and why it is still live. */
  retraction: Retraction | null;
  retractionNote: string | null;
  /** Present when the post went out as a thread: each part, first to last (`remoteId`/`remoteUrl` are part 1's). */
  parts?: ThreadPartView[];
}

export interface ThreadPartView {
  position: number;
  text: string;
  state: PostPartState;
  remoteId: string | null;
  remoteUrl: string | null;
}

const POST_VIEW_COLUMNS = [
  'deliveries.id',
  'deliveries.dispatchId',
  'channel',
  'recipient',
  'deliveries.status',
  'content',
  'remoteId',
  'remoteUrl',
  'lastResponse',
  'attempts',
  'deliveries.updatedAt',
  'retraction',
  'retractionNote',
] as const;

/**
 * Inserts the rows that do not exist yet (the unique (dispatch_id, channel, recipient) makes a repeated start a
 * no-op) and logs the new ones; returns every row of the dispatch for these channels, old and new.
 */
export async function insertSocialDeliveries(
  db: Kysely<Database>,
  dispatchId: number,
  rows: NewSocialDelivery[],
  cause: string,
): Promise<DeliveryRow[]> {
  if (rows.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('deliveries')
      .values(rows.map((r) => ({ ...r, updatedAt: sql<Date>`now()` })))
      .onConflict((oc) => oc.columns(['dispatchId', 'channel', 'recipient']).doNothing())
      .returning(['id', 'status', 'channel', 'lastResponse'])
      .execute();
    await recordEvents(
      tx,
      inserted.map((r) => ({
        subjectType: 'delivery' as const,
        subjectId: r.id,
        event: 'delivery.created',
        toStatus: r.status,
        cause,
        detail: { channel: r.channel, ...(r.lastResponse ? { reason: r.lastResponse } : {}) },
      })),
    );
    return tx
      .selectFrom('deliveries')
      .selectAll()
      .where('dispatchId', '=', dispatchId)
      .where('channel', 'in', rows.map((r) => r.channel))
      .execute();
  });
}

/** The dispatch's social posts (every channel but email), in the order they were created. */
export async function listSocialPosts(db: Kysely<Database>, dispatchId: number): Promise<SocialPostView[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(POST_VIEW_COLUMNS)
    .where('dispatchId', '=', dispatchId)
    .where('channel', '!=', 'email')
    .orderBy('id')
    .execute();
  const parts = await partViews(db, rows.map((r) => r.id));
  return rows.map(({ recipient, dispatchId: _dispatchId, ...row }) => ({ ...row, account: recipient, ...parts(row.id) }));
}

/** `{ parts }` for a delivery posted as a thread, `{}` for a single post. */
async function partViews(db: Kysely<Database>, deliveryIds: number[]): Promise<(id: number) => { parts?: ThreadPartView[] }> {
  const byDelivery = await threadPartsOf(db, deliveryIds);
  return (id) => {
    const parts = byDelivery.get(id);
    if (!parts) return {};
    return { parts: parts.map(({ position, text, state, remoteId, remoteUrl }) => ({ position, text, state, remoteId, remoteUrl })) };
  };
}

/** Every social post of an article, across its dispatches (a retraction's report), with the dispatch of each. */
export async function listArticlePosts(db: Kysely<Database>, articleId: number): Promise<(SocialPostView & { dispatchId: number })[]> {
  const rows = await db
    .selectFrom('deliveries')
    .innerJoin('dispatches', 'dispatches.id', 'deliveries.dispatchId')
    .select(POST_VIEW_COLUMNS)
    .where('dispatches.articleId', '=', articleId)
    .where('channel', '!=', 'email')
    .orderBy('deliveries.id')
    .execute();
  const parts = await partViews(db, rows.map((r) => r.id));
  return rows.map(({ recipient, ...row }) => ({ ...row, account: recipient, ...parts(row.id) }));
}
