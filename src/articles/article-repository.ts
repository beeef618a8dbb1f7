// Reading and writing articles.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Article } from './article.js';

export async function findArticle(db: Kysely<Database>, id: number): Promise<Article | undefined> {
  return db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findArticleByExternalId(db: Kysely<Database>, externalId: string): Promise<Article | undefined> {
  return db.selectFrom('articles').selectAll().where('externalId', '=', externalId).executeTakeFirst();
}

export async function listArticles(
  db: Kysely<Database>,
  page: { limit: number; before?: number },
): Promise<Article[]> {
  let query = db.selectFrom('articles').selectAll().orderBy('id', 'desc').limit(page.limit);
  if (page.before) query = query.where('id', '<', page.before);
  return query.execute();
}
