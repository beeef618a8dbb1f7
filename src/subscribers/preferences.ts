// What a subscriber may change about themselves from the preferences page: name, topics, cadence, pause, time zone,
// address.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { cleanLine } from '../text/plain-text.js';
import type { Database, SubscriberRow } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { openConfirmation } from './confirmation.js';
import { cadence, emailAddress, readerTimeZone, topicList } from './subscriber-input.js';

const oneOrMany = (value: unknown) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value]);
/** An unticked checkbox sends nothing; JSON may send a boolean. */
const checkbox = z.preprocess((v) => v === true || v === 'on' || v === 'true' || v === '1', z.boolean());

export const preferencesInput = z.object({
  name: z.string().max(200).optional().transform((name) => (name ? cleanLine(name) || null : null)),
  topics: z.preprocess(oneOrMany, topicList),
  cadence,
  paused: checkbox,
  /** The reader's zone (empty: the installation's); left out, it stays as it is. */
  timezone: readerTimeZone,
  /** A different address here starts a change-email confirmation; the same (or none) changes nothing. */
  email: z.union([z.literal(''), emailAddress]).optional(),
});

export type PreferencesInput = z.infer<typeof preferencesInput>;

export interface PreferencesResult {
  subscriber: SubscriberRow;
  changed: string[];
  /** Set when a new address was asked for: a confirmation goes there. */
  emailChangeRequested: boolean;
}

export async function updatePreferences(
  db: Kysely<Database>,
  subscriberId: number,
  input: PreferencesInput,
): Promise<PreferencesResult | undefined> {
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('subscribers').selectAll().where('id', '=', subscriberId).forUpdate().executeTakeFirst();
    if (!before) return undefined;
    const next = {
      name: input.name, topics: input.topics, cadence: input.cadence, paused: input.paused,
      timezone: input.timezone === undefined ? before.timezone : input.timezone,
    };
    const changed = (Object.keys(next) as (keyof typeof next)[]).filter(
      (key) => JSON.stringify(next[key]) !== JSON.stringify(before[key]),
    );
    let subscriber = before;
    if (changed.length > 0) {
      subscriber = await tx
        .updateTable('subscribers')
        .set({ ...next, updatedAt: sql<Date>`now()` })
        .where('id', '=', subscriberId)
        .returningAll()
        .executeTakeFirstOrThrow();
      // Field names only: the log outlives an erasure, so the values (a name) stay out of it.
      await recordEvent(tx, {
        subjectType: 'subscriber', subjectId: subscriberId, event: 'subscriber.preferences', cause: 'link',
        detail: { changed, cadence: next.cadence, paused: next.paused, timezone: next.timezone },
      });
    }
    const emailChangeRequested = !!input.email && input.email !== before.email.toLowerCase();
    if (emailChangeRequested) {
      await openConfirmation(tx, subscriberId, 'change-email', { fresh: true, newEmail: input.email });
    }
    return { subscriber, changed, emailChangeRequested };
  });
}
