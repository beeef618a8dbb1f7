// Makes one correction on a network: re-reads its row, replies under Herald's post (or edits it where the network
// can and the editor asked), and records what it came to, with the reason when it differs from what was asked.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { findCorrectionById, moveCorrectionDelivery } from '../articles/corrections.js';
import type { CorrectionDeliveryRow, Database } from '../db/schema.js';
import { findDelivery } from '../delivery/delivery-repository.js';
import { DeliveryFailure, type RateLimited, UncertainOutcome } from '../delivery/failure.js';
import type { Network, PostResult, SocialChannel } from './channel.js';
import { correctedPost, correctionReply } from './correction-text.js';
import { LazyChannel } from './lazy-channel.js';
import { isNetwork, networkDefinition } from './networks.js';
import type { SocialAccounts } from './social-accounts.js';

/** What the worker does next; mapped onto BullMQ in workers/social-worker.ts. */
export type CorrectOutcome =
  | { kind: 'done'; status: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'rate_limited'; resetAt: Date; reason: string };

export class SocialCorrector {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly accounts: SocialAccounts,
    private readonly log: Logger,
  ) {}

  async correct(id: number, { finalAttempt }: { finalAttempt: boolean }): Promise<CorrectOutcome> {
    const row = await this.db.selectFrom('correctionDeliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (row.status !== 'pending' && row.status !== 'sending')) return { kind: 'done', status: row?.status ?? 'missing' };
    const correction = await findCorrectionById(this.db, row.correctionId);
    const original = await findDelivery(this.db, row.originalDeliveryId);
    if (!correction || !original?.remoteId || original.status !== 'sent' || original.retraction) {
      return this.settle(row, 'skipped', { note: 'the post is no longer out there (retracted or gone)' });
    }
    const network = row.channel as Network;
    if (!isNetwork(network)) return this.settle(row, 'failed', { note: `${row.channel} is not a network Herald knows` });
    const { channel } = this.accounts.get(network);
    if (!channel?.reply) {
      const reason = `not_configured: this worker has no ${network} credentials`;
      return finalAttempt ? this.settle(row, 'failed', { note: reason }) : this.keepPending(row, { kind: 'retry', reason });
    }

    const { label, capabilities } = networkDefinition(network);
    const editable = correction.social === 'edit' && (await canEdit(channel));
    const edited = editable && original.content ? correctedPost(network, original.content, correction.note) : undefined;
    // Only the edit may be repeated blindly, or a reply where the network honours the idempotency key (Mastodon):
    // elsewhere a row found `sending` may already have its reply out there.
    if (row.status === 'sending' && !edited && capabilities.idempotencyKeyMemoryMs === undefined) {
      return this.settle(row, 'uncertain', { note: 'interrupted mid-request: the reply may be out there; not repeated' });
    }
    let fallback: string | null = null;
    if (correction.social === 'edit' && !edited) {
      fallback = !editable ? `${label} lets no app edit a post: replied instead` : 'the corrected post would not fit in one post: replied instead';
    }
    if (row.status === 'pending' && !(await moveCorrectionDelivery(this.db, row.id, ['pending'], 'sending', { attempt: true }))) {
      return { kind: 'done', status: 'taken' };
    }
    let result: PostResult;
    try {
      result = edited
        ? await channel.edit!(original.remoteId, edited)
        : await channel.reply(original.remoteId, correctionReply(network, correction.note), { idempotencyKey: `herald-correction-${row.id}` });
    } catch (error) {
      return this.onFailure(row, asFailure(network, error), finalAttempt, !!edited);
    }
    const outcome = edited ? 'edited' : 'replied';
    this.log.info({ event: 'social.corrected', correctionId: row.correctionId, network, outcome, remoteId: result.remoteId }, 'correction posted');
    return this.settle(row, 'sent', { outcome, remoteId: result.remoteId, remoteUrl: result.remoteUrl ?? null, note: fallback }, ['sending']);
  }

  /** The job gave up (attempts used up, an unexpected error): the row says so. */
  async giveUp(id: number, reason: string): Promise<void> {
    await moveCorrectionDelivery(this.db, id, ['pending', 'sending'], 'failed', { note: `gave up: ${reason}` });
  }

  private async onFailure(row: CorrectionDeliveryRow, failure: DeliveryFailure, finalAttempt: boolean, edit: boolean): Promise<CorrectOutcome> {
    const reason = `${failure.code}: ${failure.response ?? failure.message}`;
    this.log.warn({ event: 'social.correct_failed', correctionId: row.correctionId, network: row.channel, code: failure.code, reason }, 'correction not posted');
    switch (failure.kind) {
      case 'rate_limited':
        return this.keepPending(row, { kind: 'rate_limited', resetAt: (failure as RateLimited).resetAt, reason }, ['sending']);
      case 'transient':
        return finalAttempt ? this.settle(row, 'failed', { note: reason }, ['sending']) : this.keepPending(row, { kind: 'retry', reason }, ['sending']);
      case 'uncertain':
        // An edit repeated does no harm; a reply might land twice.
        if (edit && !finalAttempt) return this.keepPending(row, { kind: 'retry', reason }, ['sending']);
        return this.settle(row, 'uncertain', { note: reason }, ['sending']);
      case 'permanent_address':
      case 'permanent_policy':
        return this.settle(row, 'failed', { note: reason }, ['sending']);
    }
  }

  private async keepPending(row: CorrectionDeliveryRow, outcome: Exclude<CorrectOutcome, { kind: 'done' }>, from: CorrectionDeliveryRow['status'][] = ['pending']): Promise<CorrectOutcome> {
    await moveCorrectionDelivery(this.db, row.id, from, 'pending', { note: outcome.reason });
    return outcome;
  }

  private async settle(
    row: CorrectionDeliveryRow,
    to: 'sent' | 'failed' | 'uncertain' | 'skipped',
    changes: Parameters<typeof moveCorrectionDelivery>[4],
    from: CorrectionDeliveryRow['status'][] = ['pending', 'sending'],
  ): Promise<CorrectOutcome> {
    await moveCorrectionDelivery(this.db, row.id, from, to, changes);
    return { kind: 'done', status: to };
  }
}

async function canEdit(channel: SocialChannel): Promise<boolean> {
  return channel instanceof LazyChannel ? channel.canEdit() : typeof channel.edit === 'function';
}

function asFailure(network: Network, error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  return new UncertainOutcome(`${network} correction failed unexpectedly: ${String((error as Error)?.message ?? error)}`, 'unexpected_error');
}
