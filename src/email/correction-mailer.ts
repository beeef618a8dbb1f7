// Sends one correction's email to the readers who got the edition: claims their rows in chunks (pending → sending),
// sends each through the process' email transport, records each outcome. Rows decide, so a repeated or resumed job
// only sends to readers still pending, and a reader whose row a crash left `sending` is not sent a second copy.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { findArticle } from '../articles/article-repository.js';
import { findCorrectionById, moveCorrectionDelivery } from '../articles/corrections.js';
import type { Database } from '../db/schema.js';
import type { DeliveryFailure, RateLimited } from '../delivery/failure.js';
import { signLinkToken } from '../subscribers/link-tokens.js';
import { compileCorrectionMail } from './correction-mail.js';
import type { EditionSettings } from './edition-service.js';
import { personalise } from './mime-template.js';
import type { EmailTransport } from './transports/email-transport.js';

/** Readers claimed (and sent to at once) per round: also the most a crash can leave with an unknown outcome. */
const CHUNK = 10;

export type CorrectionMailOutcome =
  | { kind: 'done'; sent: number; failed: number; skipped: number }
  /** Some readers failed temporarily: run again later (they stay pending). */
  | { kind: 'retry'; reason: string }
  | { kind: 'rate_limited'; resetAt: Date };

export class CorrectionMailer {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly transport: EmailTransport,
    private readonly settings: EditionSettings,
    private readonly log: Logger,
  ) {}

  /** `finalAttempt`: a temporary failure now fails the reader's row instead of asking for a retry. */
  async send(correctionId: number, { finalAttempt }: { finalAttempt: boolean }): Promise<CorrectionMailOutcome> {
    const totals = { sent: 0, failed: 0, skipped: 0 };
    const correction = await findCorrectionById(this.db, correctionId);
    const article = correction && (await findArticle(this.db, correction.articleId));
    if (!correction || !article) return { kind: 'done', ...totals };
    // Left `sending` by a crash (or a stalled job): the message may have gone; never a second copy.
    await this.db
      .updateTable('correctionDeliveries')
      .set({ status: 'uncertain', note: 'interrupted mid-send: may have arrived, not sent again', updatedAt: sql<Date>`now()` })
      .where('correctionId', '=', correctionId)
      .where('channel', '=', 'email')
      .where('status', '=', 'sending')
      .execute();

    const message = compileCorrectionMail(
      { note: correction.note, article, sentAt: correction.createdAt },
      this.settings,
      randomBytes(8).toString('hex'),
    );
    for (;;) {
      const claimed = await this.claim(correctionId);
      if (claimed.length === 0) return { kind: 'done', ...totals };
      let halt: Exclude<CorrectionMailOutcome, { kind: 'done' }> | undefined;
      await Promise.all(
        claimed.map(async (row) => {
          if (row.subscriberStatus !== 'confirmed') {
            totals.skipped++;
            await moveCorrectionDelivery(this.db, row.id, ['sending'], 'skipped', { note: `the reader is ${row.subscriberStatus ?? 'gone'}` });
            return;
          }
          try {
            const raw = personalise(message.compiled, {
              address: row.recipient,
              name: row.name,
              messageId: `<herald.c${correctionId}.${row.id}@${message.domain}>`,
              unsubscribeUrl: `${this.settings.publicUrl}/unsubscribe/${signLinkToken(this.settings.secret, { purpose: 'unsubscribe', subscriberId: row.subscriberId!, expiresAt: 0 })}`,
              preferencesUrl: `${this.settings.publicUrl}/preferences/${signLinkToken(this.settings.secret, { purpose: 'preferences', subscriberId: row.subscriberId!, expiresAt: 0 })}`,
            });
            await this.transport.send({ raw, envelope: { from: message.envelopeFrom, to: row.recipient } });
            totals.sent++;
            await moveCorrectionDelivery(this.db, row.id, ['sending'], 'sent', { outcome: 'emailed', note: null });
          } catch (error) {
            const failure: DeliveryFailure = this.transport.failureOf(error);
            const reason = failure.describe();
            if (failure.kind === 'uncertain') {
              await moveCorrectionDelivery(this.db, row.id, ['sending'], 'uncertain', { note: reason });
            } else if ((failure.kind === 'transient' || failure.kind === 'rate_limited') && !finalAttempt) {
              await moveCorrectionDelivery(this.db, row.id, ['sending'], 'pending', { note: reason });
              halt = failure.kind === 'rate_limited' ? { kind: 'rate_limited', resetAt: (failure as RateLimited).resetAt } : { kind: 'retry', reason };
            } else {
              totals.failed++;
              await moveCorrectionDelivery(this.db, row.id, ['sending'], 'failed', { note: reason });
            }
          }
        }),
      );
      if (halt) {
        this.log.warn({ event: 'email.correction_retry', correctionId, ...halt }, 'correction email deferred');
        return halt;
      }
      this.log.info({ event: 'email.correction_chunk', correctionId, claimed: claimed.length }, 'correction email chunk sent');
    }
  }

  /** The job gave up: readers still pending are failed, so the correction's outcome is final. */
  async giveUp(correctionId: number, reason: string): Promise<void> {
    await this.db
      .updateTable('correctionDeliveries')
      .set({ status: 'failed', note: `gave up: ${reason}`.slice(0, 1000), updatedAt: sql<Date>`now()` })
      .where('correctionId', '=', correctionId)
      .where('channel', '=', 'email')
      .where('status', '=', 'pending')
      .execute();
  }

  private async claim(correctionId: number) {
    const rows = await this.db
      .updateTable('correctionDeliveries')
      .set({ status: 'sending', attempts: sql<number>`attempts + 1`, updatedAt: sql<Date>`now()` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('correctionDeliveries')
          .select('id')
          .where('correctionId', '=', correctionId)
          .where('channel', '=', 'email')
          .where('status', '=', 'pending')
          .orderBy('id')
          .limit(CHUNK),
      )
      .where('status', '=', 'pending')
      .returning(['id', 'subscriberId', 'recipient'])
      .execute();
    if (rows.length === 0) return [];
    const subscribers = await this.db
      .selectFrom('subscribers')
      .select(['id', 'status', 'name', 'email'])
      .where('id', 'in', rows.map((r) => r.subscriberId!).filter((id) => id !== null))
      .execute();
    const byId = new Map(subscribers.map((s) => [s.id, s]));
    return rows.map((r) => {
      const subscriber = r.subscriberId === null ? undefined : byId.get(r.subscriberId);
      // The address as it is now (a reader may have changed it since the edition).
      return { ...r, recipient: subscriber?.email ?? r.recipient, name: subscriber?.name ?? null, subscriberStatus: subscriber?.status };
    });
  }
}
