// Publishing: the article and its dispatch are written in one transaction (the outbox); the relay queues it later.
import { sql, type Kysely } from 'kysely';
import type { Database, DispatchRow } from '../db/schema.js';
import { resolveScheduledTime } from '../dispatch/schedule.js';
import { recordEvents } from '../events/event-log.js';
import type { Article } from './article.js';
import { channelNames, type ArticleInput } from './article-input.js';

export interface PublishResult {
  article: Article;
  /** Null when the article was already known: a repeated externalId never distributes twice. */
  dispatch: DispatchRow | null;
  created: boolean;
}

export async function publishArticle(
  db: Kysely<Database>,
  input: ArticleInput,
  options: { now?: Date; cause?: string } = {},
): Promise<PublishResult> {
  const now = options.now ?? new Date();
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('articles')
      .values({
        externalId: input.externalId,
        title: input.title,
        url: input.url,
        excerpt: input.excerpt,
        html: input.html,
        authorName: input.author?.name || null,
        section: input.section ?? null,
        tags: input.tags,
        imageUrl: input.image?.url ?? null,
        imageAlt: input.image?.alt ?? null,
        publishedAt: input.publishedAt ?? now,
      })
      .onConflict((oc) => oc.column('externalId').doNothing())
      .returningAll()
      .executeTakeFirst();

    if (!inserted) {
      const existing = await tx
        .selectFrom('articles')
        .selectAll()
        .where('externalId', '=', input.externalId)
        .executeTakeFirstOrThrow();
      return { article: existing, dispatch: null, created: false };
    }

    const scheduledAt = input.schedule ? resolveScheduledTime(input.schedule.at, input.schedule.timezone) : null;
    const dispatch = await tx
      .insertInto('dispatches')
      .values({
        articleId: inserted.id,
        channels: input.channels ? [...new Set(input.channels)] : [...channelNames],
        status: scheduledAt && scheduledAt > now ? 'scheduled' : 'pending',
        scheduledAt,
        timezone: input.schedule?.timezone ?? null,
        socialTexts: JSON.stringify(input.socialTexts ?? {}),
        priority: input.priority ?? 'normal',
        localTime: input.localTime ?? null,
        updatedAt: sql<Date>`now()`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();

    await recordEvents(tx, [
      { subjectType: 'article', subjectId: inserted.id, event: 'article.published', cause: options.cause ?? 'api' },
      {
        subjectType: 'dispatch',
        subjectId: dispatch.id,
        event: 'dispatch.created',
        toStatus: dispatch.status,
        cause: options.cause ?? 'api',
        detail: { channels: dispatch.channels, scheduledAt: scheduledAt?.toISOString() ?? null, priority: dispatch.priority, localTime: dispatch.localTime },
      },
    ]);
    return { article: inserted, dispatch, created: true };
  });
}
