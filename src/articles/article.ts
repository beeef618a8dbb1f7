// The article as Herald stores it: already sanitised, ready for every renderer.

export interface Article {
  id: number;
  externalId: string;
  title: string;
  url: string;
  excerpt: string;
  /** Sanitised HTML (allowlist), safe to embed in an email or page. */
  html: string;
  authorName: string | null;
  section: string | null;
  tags: string[];
  imageUrl: string | null;
  imageAlt: string | null;
  publishedAt: Date;
  createdAt: Date;
}

/** Topics an article belongs to, as subscribers choose them: its section and its tags, lower-cased. */
export function articleTopics(article: Pick<Article, 'section' | 'tags'>): string[] {
  const topics = [article.section, ...article.tags].filter((t): t is string => !!t && t.trim() !== '');
  return [...new Set(topics.map((t) => t.trim().toLowerCase()))];
}
