// Sample articles from tests/fixtures, cleaned the way intake cleans them, for tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Article } from '../../src/articles/article.js';
import { sanitizeArticleHtml } from '../../src/articles/sanitize.js';
import { cleanLine, stripTags } from '../../src/text/plain-text.js';
import { FIXTURE_DIR } from './articles.js';

export type FixtureArticleName = 'seed-article' | 'unicode-article' | 'hostile-article' | 'long-article';


/** The CMS payload as the fixture files hold it. */
interface FixtureArticle {
  externalId: string;
  title: string;
  url: string;
  excerpt: string;
  html: string;
  author?: { name?: string | null } | null;
  section?: string | null;
  tags?: string[];
  image?: { url?: string | null; alt?: string | null } | null;
  publishedAt: string;
}

/**
 * A fixture as intake stores it: the body sanitised; excerpt, alt text and tags stripped of markup; title and
 * author kept as typed (they may contain "<") on one clean line.
 */
export function loadFixtureArticle(name: FixtureArticleName): Article {
  const raw = JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as FixtureArticle;
  const line = (text: string | null | undefined): string => cleanLine(text ?? '');
  const plain = (text: string | null | undefined): string => cleanLine(stripTags(text ?? ''));
  const publishedAt = new Date(raw.publishedAt);
  return {
    id: 1,
    externalId: raw.externalId,
    title: line(raw.title),
    url: raw.url.trim(),
    excerpt: plain(raw.excerpt),
    html: sanitizeArticleHtml(raw.html),
    authorName: line(raw.author?.name) || null,
    section: line(raw.section) || null,
    tags: (raw.tags ?? []).map(plain).filter(Boolean),
    imageUrl: raw.image?.url?.trim() || null,
    imageAlt: plain(raw.image?.alt) || null,
    publishedAt,
    createdAt: publishedAt,
  };
}
