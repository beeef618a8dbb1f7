// Reading and writing articles.
import type { Kysely, Selectable } from 'kysely';
import type { ArticlesTable, Database } from '../db/schema.js';
import type { Article } from './article.js';

export function toArticle(row: Selectable<ArticlesTable>): Article {
  return { ...row };
}

export async function findArticle(db: Kysely<Database>, id: number): Promise<Article | undefined> {
  const row = await db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toArticle(row);
}

export async function findArticleByExternalId(db: Kysely<Database>, externalId: string): Promise<Article | undefined> {
  const row = await db.selectFrom('articles').selectAll().where('externalId', '=', externalId).executeTakeFirst();
  return row && toArticle(row);
}

export async function listArticles(
  db: Kysely<Database>,
  page: { limit: number; before?: number },
): Promise<Article[]> {
  let query = db.selectFrom('articles').selectAll().orderBy('id', 'desc').limit(page.limit);
  if (page.before) query = query.where('id', '<', page.before);
  return (await query.execute()).map(toArticle);
}
