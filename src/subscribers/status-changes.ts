// Status changes a subscriber or their mailbox provider causes: unsubscribing, bounces and complaints.
import { sql, type Kysely } from 'kysely';
import type { Database, SubscriberStatus } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';

export type UnsubscribeResult = 'unsubscribed' | 'already' | 'gone';

/**
 * Takes effect for the very next message: the batch sender re-reads the status when it claims each delivery.
 * Also cancels any open confirmation, so an old confirmation link cannot undo this.
 */
export async function unsubscribe(
  db: Kysely<Database>,
  subscriberId: number,
  cause: 'link' | 'one-click' | 'editor',
  /** The edition whose link or header it came from (kept in the event for the dispatch report). */
  dispatchId?: number,
): Promise<UnsubscribeResult> {
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('subscribers').select('status').where('id', '=', subscriberId).forUpdate().executeTakeFirst();
    if (!row) return 'gone';
    await tx.deleteFrom('subscriberConfirmations').where('subscriberId', '=', subscriberId).execute();
    if (row.status !== 'confirmed' && row.status !== 'pending') return 'already';
    await tx
      .updateTable('subscribers')
      .set({ status: 'unsubscribed', unsubscribedAt: sql<Date>`now()`, updatedAt: sql<Date>`now()` })
      .where('id', '=', subscriberId)
      .execute();
    await recordEvent(tx, {
      subjectType: 'subscriber', subjectId: subscriberId, event: 'subscriber.status',
      fromStatus: row.status, toStatus: 'unsubscribed', cause,
      ...(dispatchId !== undefined ? { detail: { dispatchId } } : {}),
    });
    return 'unsubscribed';
  });
}

export interface MailboxFeedback {
  kind: 'bounce' | 'complaint';
  email: string;
  /** Bounces only: a permanent bounce stops mail to the address, a transient one is only counted. */
  permanent?: boolean;
  /** Where the report came from (`ses`, `generic`), kept in the event. */
  source: string;
  /** The provider's id of the message it is about (SES `mail.messageId`): names the edition exactly. */
  providerMessageId?: string;
  detail?: Record<string, unknown>;
}

export type FeedbackResult = 'bounced' | 'complained' | 'counted' | 'unchanged' | 'unknown';

/** A bounce or complaint reported by the provider, by address. */
export async function recordMailboxFeedback(db: Kysely<Database>, feedback: MailboxFeedback): Promise<FeedbackResult> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('subscribers')
      .select(['id', 'status'])
      .where(sql`lower(email)`, '=', feedback.email.trim().toLowerCase())
      .forUpdate()
      .executeTakeFirst();
    if (!row) return 'unknown';
    const dispatchId = await feedbackEdition(tx, row.id, feedback.providerMessageId);
    const detail = { source: feedback.source, ...feedback.detail, ...(dispatchId !== undefined ? { dispatchId } : {}) };
    const isBounce = feedback.kind === 'bounce';
    let to: SubscriberStatus = row.status;
    if (!isBounce && row.status !== 'complained') to = 'complained';
    // A permanent bounce ends an active subscription; an unsubscribed or complained address keeps its stronger status.
    if (isBounce && feedback.permanent && (row.status === 'confirmed' || row.status === 'pending')) to = 'bounced';
    await tx
      .updateTable('subscribers')
      .set({
        status: to,
        updatedAt: sql<Date>`now()`,
        ...(isBounce ? { bounceCount: sql<number>`bounce_count + 1` } : {}),
      })
      .where('id', '=', row.id)
      .execute();
    if (to !== row.status) {
      await tx.deleteFrom('subscriberConfirmations').where('subscriberId', '=', row.id).execute();
    }
    await recordEvent(tx, {
      subjectType: 'subscriber',
      subjectId: row.id,
      event: to !== row.status ? 'subscriber.status' : `subscriber.${feedback.kind}`,
      fromStatus: row.status,
      toStatus: to,
      cause: feedback.kind,
      detail: isBounce ? { ...detail, permanent: !!feedback.permanent } : detail,
    });
    if (to !== row.status) return to === 'bounced' ? 'bounced' : 'complained';
    return isBounce ? 'counted' : 'unchanged';
  });
}

/**
 * The edition a bounce or complaint is about: the one whose message the provider names, else the last edition the
 * reader was sent (a complaint nearly always follows the newest message; the report counts it there).
 */
async function feedbackEdition(db: Kysely<Database>, subscriberId: number, providerMessageId?: string): Promise<number | undefined> {
  if (providerMessageId) {
    const named = await db.selectFrom('deliveries').select('dispatchId')
      .where('providerMessageId', '=', providerMessageId).where('channel', '=', 'email').executeTakeFirst();
    if (named) return Number(named.dispatchId);
  }
  const last = await db.selectFrom('deliveries').select('dispatchId')
    .where('subscriberId', '=', subscriberId).where('channel', '=', 'email').where('status', '=', 'sent')
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  return last ? Number(last.dispatchId) : undefined;
}
