// Reading and writing subscribers.
import { sql, type Kysely } from 'kysely';
import type { Database, SubscriberRow, SubscriberStatus } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import type { EditorSubscriberInput } from './subscriber-input.js';

export class DuplicateSubscriberError extends Error {
  constructor(readonly existing: SubscriberRow) {
    super(`a subscriber with the address ${existing.email} already exists`);
  }
}

export async function findSubscriber(db: Kysely<Database>, id: number): Promise<SubscriberRow | undefined> {
  return db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findSubscriberByEmail(db: Kysely<Database>, email: string): Promise<SubscriberRow | undefined> {
  return db
    .selectFrom('subscribers')
    .selectAll()
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

export async function addSubscriber(
  db: Kysely<Database>,
  input: EditorSubscriberInput,
  cause: string,
): Promise<SubscriberRow> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('subscribers')
      .values({
        email: input.email,
        name: input.name ?? null,
        status: input.status,
        topics: input.topics,
        cadence: input.cadence,
        timezone: input.timezone ?? null,
        source: cause,
        confirmedAt: input.status === 'confirmed' ? new Date() : null,
      })
      .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new DuplicateSubscriberError((await findSubscriberByEmail(tx, input.email))!);
    await recordEvent(tx, {
      subjectType: 'subscriber',
      subjectId: row.id,
      event: 'subscriber.created',
      toStatus: row.status,
      cause,
    });
    return row;
  });
}

export interface SubscriberFilter {
  status?: SubscriberStatus;
  /** Matches the address or name, case-insensitively. */
  q?: string;
  limit: number;
  afterId?: number;
}

export async function listSubscribers(db: Kysely<Database>, filter: SubscriberFilter): Promise<SubscriberRow[]> {
  let query = db.selectFrom('subscribers').selectAll().orderBy('id').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.afterId) query = query.where('id', '>', filter.afterId);
  if (filter.q) {
    const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([eb(sql`lower(email)`, 'like', pattern), eb(sql`lower(coalesce(name, ''))`, 'like', pattern)]),
    );
  }
  return query.execute();
}

/** Every subscriber in id order, one page at a time, so an export never holds the list in memory. */
export async function* eachSubscriber(db: Kysely<Database>, pageSize = 1000): AsyncGenerator<SubscriberRow> {
  let afterId = 0;
  for (;;) {
    const page = await db
      .selectFrom('subscribers')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    if (page.length === 0) return;
    yield* page;
    afterId = page[page.length - 1].id;
  }
}
