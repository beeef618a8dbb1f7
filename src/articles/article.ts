// The article as Herald stores it: already sanitised (see article-input.ts), ready for every renderer.
import type { ArticleRow } from '../db/schema.js';

/** One row of `articles`; its `html` is allowlist-sanitised, safe to embed in an email or page. */
export type Article = ArticleRow;

/** Topics an article belongs to, as subscribers choose them: its section and its tags, lower-cased. */
export function articleTopics(article: Pick<Article, 'section' | 'tags'>): string[] {
  const topics = [article.section, ...article.tags].filter((t): t is string => !!t && t.trim() !== '');
  return [...new Set(topics.map((t) => t.trim().toLowerCase()))];
}
