// Sample article payloads as a CMS sends them (the raw fixture JSON), for API tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The sample articles (real-world, Unicode, hostile, oversized), kept in the repository so a clone tests itself. */
export const FIXTURE_DIR = path.resolve(repoRoot, 'tests/fixtures/articles');

export function fixturePayload(name: 'seed-article' | 'unicode-article' | 'hostile-article' | 'long-article'): Record<string, any> {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8'));
}

let counter = 0;
/** A valid article with a unique externalId. */
export function articlePayload(overrides: Record<string, unknown> = {}): Record<string, any> {
  counter++;
  return {
    externalId: `test-${Date.now()}-${counter}`,
    title: `Test article ${counter}`,
    url: `https://news.example.org/test/${counter}`,
    excerpt: 'A short excerpt.',
    html: '<p>Body text.</p>',
    author: { name: 'Test Author' },
    section: 'Nation',
    tags: ['politics'],
    publishedAt: '2026-11-21T12:00:00Z',
    ...overrides,
  };
}
