// Splitting a text into a thread: every part within each network's real counter with its " k/n", nothing lost or
// repeated, cuts at sentences, then words, then graphemes; never inside a URL, an emoji sequence or a word that has room.
import twitterText from 'twitter-text';
import { describe, expect, it } from 'vitest';
import { composePost } from '../../../src/social/compose.js';
import { deliveryText } from '../../../src/social/delivery-post.js';
import { stripTags } from '../../../src/text/plain-text.js';
import { graphemes, mastodonLength } from '../../../src/social/length.js';
import { MAX_THREAD_PARTS, splitThread, validateOwnText } from '../../../src/social/thread-split.js';
import { loadFixtureArticle, type FixtureArticleName } from '../../support/fixtures.js';

const THREADING = ['x', 'bluesky', 'mastodon'] as const;
type ThreadNetwork = (typeof THREADING)[number];

/** Each network's own rule, not Herald's `measure`: twitter-text's validity, Bluesky's lexicon, Mastodon's validator. */
const fitsOn: Record<ThreadNetwork, (text: string) => boolean> = {
  x: (text) => twitterText.parseTweet(text).valid,
  bluesky: (text) => graphemes(text).length <= 300 && Buffer.byteLength(text) <= 3000,
  mastodon: (text) => mastodonLength(text) <= 500,
};

const NUMBER = / (\d+)\/(\d+)$/;
const withoutNumber = (part: string) => part.replace(NUMBER, '');
const squeezed = (text: string) => text.replace(/\s+/g, '');

function expectWellFormed(network: ThreadNetwork, text: string, parts: string[]) {
  expect(parts.length).toBeGreaterThan(1);
  parts.forEach((part, i) => {
    expect(fitsOn[network](part), `part ${i + 1} on ${network}: ${part}`).toBe(true);
    expect(NUMBER.exec(part)?.slice(1)).toEqual([String(i + 1), String(parts.length)]);
    expect(withoutNumber(part)).toBe(withoutNumber(part).trim());
  });
  // Nothing lost, nothing repeated, in order.
  expect(squeezed(parts.map(withoutNumber).join(''))).toBe(squeezed(text));
  // Every grapheme of the text is whole in some part: no emoji sequence or combining mark is cut apart.
  const partGraphemes = new Set(parts.flatMap((p) => graphemes(withoutNumber(p))));
  for (const g of graphemes(text)) if (!/\s/u.test(g)) expect(partGraphemes.has(g), `grapheme ${g}`).toBe(true);
  // Every URL is whole in one part.
  for (const { url } of twitterText.extractUrlsWithIndices(text)) expect(parts.some((p) => p.includes(url)), url).toBe(true);
}

describe.each(['seed-article', 'unicode-article', 'hostile-article', 'long-article'] as FixtureArticleName[])('the %s fixture as a thread', (name) => {
  const article = loadFixtureArticle(name);
  // The editor's own long text: headline, link, then the story's opening (the long article's whole body is too long).
  let body = stripTags(article.html.replace(/<\/p>/g, '</p>\n\n')).slice(0, 3000).trim();
  while (body.length < 1500) body = `${body}\n\n${body}`; // short fixtures, told twice: long enough for a thread

  const text = `${article.title}\n\n${article.url}\n\n${body}`;

  it.each(THREADING)('fits every part on %s by the network’s own count, numbered, nothing lost', (network) => {
    const split = splitThread(network, text);
    if (!split.ok) throw new Error(split.message);
    expectWellFormed(network, text, split.parts);
  });
});

describe('where the splitter cuts', () => {
  const sentences = Array.from({ length: 12 }, (_, i) => `Sentence number ${i + 1} says a little more about the story.`).join(' ');

  it('cuts after a sentence when one fits', () => {
    const split = splitThread('x', sentences);
    if (!split.ok) throw new Error(split.message);
    expectWellFormed('x', sentences, split.parts);
    for (const part of split.parts) expect(withoutNumber(part)).toMatch(/story\.$/);
  });

  it('cuts between words when a sentence is longer than a post, never inside one', () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const split = splitThread('bluesky', words);
    if (!split.ok) throw new Error(split.message);
    expectWellFormed('bluesky', words, split.parts);
    for (const part of split.parts) expect(withoutNumber(part)).toMatch(/^word\d+( word\d+)*$/);
  });

  it('cuts a word longer than a post between graphemes, and emoji sequences never', () => {
    const long = 'Supercalifragilistic'.repeat(40);
    const family = '👨‍👩‍👧‍👦'.repeat(200);
    for (const [network, text] of [['mastodon', long], ['x', family], ['bluesky', family]] as const) {
      const split = splitThread(network, text);
      if (!split.ok) throw new Error(split.message);
      expectWellFormed(network, text, split.parts);
    }
  });

  it('cuts CJK text between characters, counted double on X', () => {
    const text = '東京で開かれた気候サミットでは各国の代表が議論した。'.repeat(12);
    const split = splitThread('x', text);
    if (!split.ok) throw new Error(split.message);
    expectWellFormed('x', text, split.parts);
  });

  it('keeps a long URL whole in one part, counted 23 on X and Mastodon and in full on Bluesky', () => {
    const url = `https://news.example.org/${'a'.repeat(200)}?ref=thread`;
    const text = `${'Words before the link. '.repeat(12)}${url} ${'Words after the link. '.repeat(12)}`;
    for (const network of THREADING) {
      const split = splitThread(network, text);
      if (!split.ok) throw new Error(split.message);
      expectWellFormed(network, text.trim(), split.parts);
      expect(split.parts.filter((p) => p.includes(url))).toHaveLength(1);
    }
  });

  it('leaves a text that fits as one post, without a number', () => {
    expect(splitThread('x', 'Short and sweet https://example.org/a')).toEqual({ ok: true, parts: ['Short and sweet https://example.org/a'] });
  });

  it('numbers with two digits past nine parts, still within the limit', () => {
    const text = Array.from({ length: 60 }, (_, i) => `Point ${i + 1} of the long explanation goes here.`).join(' ');
    const split = splitThread('x', text);
    if (!split.ok) throw new Error(split.message);
    expect(split.parts.length).toBeGreaterThan(9);
    expectWellFormed('x', text, split.parts);
  });

  it('refuses a link that cannot fit one Bluesky post, and a text of more than the maximum parts', () => {
    const hugeLink = `https://example.org/${'x'.repeat(400)}`;
    expect(splitThread('bluesky', `Read this: ${hugeLink}`)).toMatchObject({ ok: false, message: expect.stringContaining('alone does not fit') });
    const huge = 'word '.repeat(70 * MAX_THREAD_PARTS); // about 350 graphemes a part: over 25 Bluesky posts
    expect(splitThread('bluesky', huge)).toMatchObject({ ok: false, message: `The post needs more than ${MAX_THREAD_PARTS} parts; shorten it.` });
  });

  it('respects a smaller live limit (a Mastodon instance’s max_characters)', () => {
    const split = splitThread('mastodon', sentences, 120);
    if (!split.ok) throw new Error(split.message);
    for (const part of split.parts) expect(mastodonLength(part)).toBeLessThanOrEqual(120);
    expect(squeezed(split.parts.map(withoutNumber).join(''))).toBe(squeezed(sentences));
  });
});

describe("an editor's own text", () => {
  const long = 'A sentence that goes on. '.repeat(30);

  it('is a thread on X, Bluesky and Mastodon, and still refused on Facebook past its limit', () => {
    for (const network of THREADING) expect(validateOwnText(network, long)).toMatchObject({ ok: true, parts: expect.any(Array) });
    expect(validateOwnText('facebook', 'f'.repeat(70_000))).toMatchObject({ ok: false });
    expect(validateOwnText('facebook', long)).toEqual({ ok: true, length: long.length, limit: expect.any(Number) });
  });

  it('is refused when empty, or when a part holds what X refuses', () => {
    expect(validateOwnText('x', '   ')).toMatchObject({ ok: false, message: 'The X post is empty.' });
    expect(validateOwnText('x', `${long}\uFFFE`)).toMatchObject({ ok: false, message: expect.stringMatching(/^Part \d+ of the X thread: /) });
  });
});

describe('an article’s composed post with SOCIAL_THREAD_ARTICLES on', () => {
  const article = loadFixtureArticle('unicode-article');

  it.each(THREADING)('is the whole composition on %s, nothing shortened, when it needs a thread', (network) => {
    const whole = composePost(article, network, { limit: Number.MAX_SAFE_INTEGER }).text;
    const shortened = deliveryText(article, network, { limit: 120 });
    const threaded = deliveryText(article, network, { limit: 120, threadArticles: true });
    expect(shortened).toMatchObject({ ok: true, override: false });
    expect(threaded).toEqual({ ok: true, text: whole, override: false });
    expect(shortened.ok && shortened.text).not.toBe(whole);
    const split = splitThread(network, whole, 120);
    if (!split.ok) throw new Error(split.message);
    expect(split.parts.length).toBeGreaterThan(1);
    expect(squeezed(split.parts.map(withoutNumber).join(''))).toBe(squeezed(whole));
  });

  it('stays one shortened post on Facebook, and when the whole fits', () => {
    expect(deliveryText(article, 'facebook', { limit: 63_206, threadArticles: true })).toEqual(deliveryText(article, 'facebook', { limit: 63_206 }));
    expect(deliveryText(article, 'mastodon', { limit: 5000, threadArticles: true })).toEqual(deliveryText(article, 'mastodon', { limit: 5000 }));
  });
});
