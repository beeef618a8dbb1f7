// Composing posts: every sample article gives a valid post on every network; cuts respect words, URLs, graphemes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import twitterText from 'twitter-text';
import { describe, expect, it, vi } from 'vitest';

// readFileSync, watched: the template test counts how often the template files are read.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, readFileSync: vi.fn(fs.readFileSync) };
});
import type { Article } from '../../../src/articles/article.js';
import { cleanLine } from '../../../src/text/plain-text.js';
import { NETWORK_NAMES } from '../../../src/social/networks.js';
import {
  PostCompositionError,
  composePost,
  hashtagsFromTags,
  renderTemplate,
  socialTemplate,
} from '../../../src/social/compose.js';
import { graphemes, mastodonLength, measure } from '../../../src/social/length.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = path.resolve(repoRoot, 'tests/fixtures/articles');
const NETWORKS = NETWORK_NAMES;
const FAMILY = '👨‍👩‍👧‍👦';

// The article as a CMS sent it, unsanitised on purpose: composing must cope with raw excerpts and tags.
function fixtureArticle(name: string): Article {
  const raw = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  return {
    id: 1,
    externalId: raw.externalId,
    title: raw.title,
    url: raw.url,
    excerpt: raw.excerpt ?? '',
    html: raw.html ?? '',
    authorName: raw.author?.name ?? null,
    section: raw.section ?? null,
    tags: raw.tags ?? [],
    imageUrl: raw.image?.url ?? null,
    imageAlt: raw.image?.alt ?? null,
    publishedAt: new Date(raw.publishedAt),
    createdAt: new Date(raw.publishedAt),
  };
}

function article(fields: Partial<Article>): Article {
  return { ...fixtureArticle('seed-article'), excerpt: '', html: '', tags: [], imageUrl: null, imageAlt: null, ...fields };
}

/** The shortened line is the original's graphemes up to the cut, then `…`: nothing half-cut at the boundary. */
function expectCleanCut(line: string, original: string): void {
  const kept = line.endsWith('…') && !original.endsWith('…') ? line.slice(0, -1) : line;
  const keptGraphemes = graphemes(kept);
  expect(keptGraphemes).toEqual(graphemes(original).slice(0, keptGraphemes.length));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const EXPECTED_LINKS: Record<string, string> = {
  'seed-article': 'https://news.example.org/nation/america-isis-accomplice-audio-reveals-us-talked-with-isis',
  'unicode-article': 'https://news.example.org/world/tokyo-climate-summit-2026?utm_source=rss&ref=a%20b',
  // Quotes, brackets and spaces percent-encoded, so the whole URL is one link on every network.
  'hostile-article': 'https://news.example.org/nation/breaking%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E',
  'long-article': `https://news.example.org/longform/${'very-long-slug-'.repeat(10)}end`,
};

/** Where the long headline leaves no room for a summary: the link follows the headline directly. */
const SUMMARY_DROPPED = new Set(['long-article → x', 'long-article → bluesky', 'long-article → mastodon']);

describe('every sample article on every network', () => {
  for (const name of Object.keys(EXPECTED_LINKS)) {
    for (const network of NETWORKS) {
      it(`${name} → ${network}: fits, keeps the URL whole, cuts cleanly`, () => {
        const source = fixtureArticle(name);
        const post = composePost(source, network);
        const { text } = post;

        expect(post.link).toBe(EXPECTED_LINKS[name]);
        expect(text.split(/\s+/)).toContain(post.link);
        expect(text).not.toMatch(LONE_SURROGATE);
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/); // only \n as a control character
        expect(measure(network, text).fits).toBe(true);
        if (network === 'x') expect(twitterText.parseTweet(text).valid).toBe(true);
        if (network === 'bluesky') expect(graphemes(text).length).toBeLessThanOrEqual(300);
        if (network === 'mastodon') expect(mastodonLength(text)).toBeLessThanOrEqual(500);

        // Templates put the headline on the first line and the summary, when kept, on the third.
        const lines = text.split('\n');
        expectCleanCut(lines[0], cleanLine(source.title));
        if (SUMMARY_DROPPED.has(`${name} → ${network}`)) expect(lines[2]).toBe(post.link);
        else expectCleanCut(lines[2], post.description);
      });
    }
  }

  it('cuts the long headline at a word, with an ellipsis, to exactly fill X and nearly fill Bluesky', () => {
    const headline = 'A very long headline that keeps going ';
    const long = fixtureArticle('long-article');
    const x = composePost(long, 'x');
    expect(x.text).toBe(`${headline.repeat(6)}A very long headline that…\n\n${EXPECTED_LINKS['long-article']}`);
    expect(twitterText.parseTweet(x.text).weightedLength).toBe(280);
    const bluesky = composePost(long, 'bluesky');
    expect(bluesky.text).toBe(`${headline.repeat(2)}A very long headline that keeps…\n\n${EXPECTED_LINKS['long-article']}`);
    expect(graphemes(bluesky.text).length).toBe(297);
  });

  it('keeps the hostile title as literal one-line text and strips markup from excerpt and tags', () => {
    const post = composePost(fixtureArticle('hostile-article'), 'mastodon');
    expect(post.text).toBe(
      "Breaking <script>alert('x')</script> news Bcc: victim@example.com\n\n" +
        'An excerpt with markup that must never run.\n\n' +
        `${EXPECTED_LINKS['hostile-article']}\n\n#Tag`,
    );
  });

  it('shortens the unicode summary at a word on Bluesky and keeps the family emoji whole', () => {
    const post = composePost(fixtureArticle('unicode-article'), 'bluesky');
    expect(post.text.split('\n')[2]).toBe(
      `Delegates from 190 countries met in Tokyo (東京) this week; ${FAMILY} families marched outside. Ğüneş, Ελλάδα and Україна…`,
    );
    expect(post.text.endsWith(`${EXPECTED_LINKS['unicode-article']} #Climate #東京 #COP`)).toBe(true);
  });

  it('fills the card fields: full title, summary, link and image', () => {
    const post = composePost(fixtureArticle('seed-article'), 'facebook');
    expect(post.title).toBe('‘America, ISIS Accomplice:’ Audio Reveals US Talked With ISIS Before Bombing Syrian Forces!');
    expect(post.description).toBe(
      // The fixture's excerpt has two no-break spaces; they are kept, as the author typed them.
      'Reports came to light saying\u00a0Damascus had acquired a recording of correspondences\u00a0between the American military and ISIS terrorists.',
    );
    expect(post.image).toEqual({
      url: 'https://news.example.org/media/kobane-airstrike.jpg',
      alt: 'Coalition airstrike on an ISIL position in Kobane',
    });
  });
});

describe('limits and weighting', () => {
  it('weighs CJK double on X, cutting at a Japanese word boundary, where Mastodon keeps it all', () => {
    const sentence = '気候サミットが東京で開かれた。';
    const post = { title: sentence.repeat(12), url: 'https://news.example.org/a' };
    const x = composePost(article(post), 'x');
    expect(x.text).toBe(`${sentence.repeat(8)}気候サミット…\n\nhttps://news.example.org/a`);
    expect(twitterText.parseTweet(x.text)).toMatchObject({ weightedLength: 279, valid: true });
    expect(composePost(article(post), 'mastodon').text).toBe(`${sentence.repeat(12)}\n\nhttps://news.example.org/a`);
  });

  it('uses the Mastodon instance limit when given', () => {
    const long = fixtureArticle('long-article');
    const summary = 'A long-form piece whose body is far larger than an email client shows before clipping.';
    // At the default 500 the summary is the first thing to go; at 1000 everything fits; at 300 the headline is cut.
    expect(composePost(long, 'mastodon').text).not.toContain(summary);
    expect(composePost(long, 'mastodon', { limit: 1000 }).text).toContain(`\n\n${summary}\n\n`);
    const small = composePost(long, 'mastodon', { limit: 300 });
    expect(small.text.split('\n')[0]).toBe(`${'A very long headline that keeps going '.repeat(7)}A very…`);
    expect(measure('mastodon', small.text, { limit: 300 })).toEqual({ length: 298, limit: 300, fits: true });
  });

  it('drops hashtags, last first, before cutting the headline', () => {
    const title = `${'word '.repeat(47)}final`; // 240 characters
    const post = composePost(article({ title, tags: ['alpha', 'beta', 'gamma'], url: 'https://news.example.org/a' }), 'x');
    expect(post.text).toBe(`${title}\n\nhttps://news.example.org/a #Alpha #Beta`);
    expect(twitterText.parseTweet(post.text).weightedLength).toBe(278);
  });
});

describe('grapheme-safe cuts', () => {
  const url = 'https://news.example.org/a'; // 26 characters
  const template = '{{title}} {{url}}';

  it('cuts a run of ZWJ family emoji between families on X (each weighs 2)', () => {
    const post = composePost(article({ title: FAMILY.repeat(40), url }), 'x', { limit: 40, template });
    // 23 (URL) + 1 (space) + 7 families × 2 + ellipsis 2 = 40
    expect(post.text).toBe(`${FAMILY.repeat(7)}… ${url}`);
  });

  it('cuts a run of ZWJ family emoji between families on Bluesky (each is one grapheme)', () => {
    const post = composePost(article({ title: FAMILY.repeat(40), url }), 'bluesky', { limit: 40, template });
    expect(post.text).toBe(`${FAMILY.repeat(12)}… ${url}`);
    expect(graphemes(post.text).length).toBe(40);
  });

  it('never separates a combining accent or a flag from its base', () => {
    const accented = 'e\u0301'.repeat(50);
    expect(composePost(article({ title: accented, url }), 'bluesky', { limit: 40, template }).text)
      .toBe(`${'e\u0301'.repeat(12)}… ${url}`);
    const flags = '🇯🇵🇫🇷'.repeat(20);
    expect(composePost(article({ title: flags, url }), 'bluesky', { limit: 40, template }).text)
      .toBe(`${'🇯🇵🇫🇷'.repeat(6)}… ${url}`);
  });

  it('never cuts inside a URL in the headline', () => {
    const title = 'Report at https://data.example.org/reports/2026/annual-climate-figures is out';
    // The ellipsis gets a space after a URL, or Bluesky's link detection would swallow it into the link.
    const post = composePost(article({ title, url }), 'bluesky', { limit: 100, template });
    expect(post.text).toBe(`Report at https://data.example.org/reports/2026/annual-climate-figures … ${url}`);
    const tighter = composePost(article({ title, url }), 'bluesky', { limit: 60, template });
    expect(tighter.text).toBe(`Report at… ${url}`);
    // A headline that is one URL has no word to cut at: it is dropped whole rather than chopped.
    const onlyUrl = 'https://data.example.org/reports/2026/annual-climate-figures';
    expect(composePost(article({ title: onlyUrl, url }), 'bluesky', { limit: 60, template }).text).toBe(url);
  });
});

describe('a URL too long for the network', () => {
  it('refuses with link_too_long, the measured length and the limit, rather than cut the URL', () => {
    const url = `https://news.example.org/${'a'.repeat(300)}`; // 325 graphemes, over Bluesky's 300 on its own
    const attempt = () => composePost(article({ title: 'Headline', url }), 'bluesky');
    expect(attempt).toThrow(PostCompositionError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'link_too_long', length: 325, limit: 300 }));
    // X and Mastodon count any URL as 23, so the same article posts there.
    expect(composePost(article({ title: 'Headline', url }), 'x').text).toBe(`Headline\n\n${url}`);
  });

  it('posts the URL alone when it fits but not even the first word of the headline does', () => {
    const url = `https://news.example.org/${'a'.repeat(270)}`; // 295 graphemes
    const post = composePost(article({ title: 'Hello world', tags: ['news'], url }), 'bluesky');
    expect(post.text).toBe(url);
    expect(post.title).toBe('Hello world');
  });

  it('refuses a non-http(s) article URL', () => {
    expect(() => composePost(article({ url: 'javascript:alert(1)' }), 'x'))
      .toThrow(expect.objectContaining({ code: 'invalid_link' }));
  });
});

describe('templates and hashtags', () => {
  it('builds #CamelCase hashtags of letters and digits in any script, dropping empty and duplicate ones', () => {
    expect(hashtagsFromTags(['climate', '東京', 'COP', '<b>tag</b>', 'US news', 'covid-19 vaccine', '  ', '!!!', '2026', 'Climate']))
      .toEqual(['#Climate', '#東京', '#COP', '#Tag', '#USNews', '#Covid19Vaccine']);
  });

  it('takes an override template and drops lines whose fields are all empty', () => {
    const post = composePost(article({ title: 'Hi', url: 'https://news.example.org/a' }), 'x', {
      template: '{{ title }} — {{url}}\n\n{{summary}}\n\n{{hashtags}}',
    });
    expect(post.text).toBe('Hi — https://news.example.org/a');
    expect(renderTemplate('{{title}}\n{{summary}}\nsee {{url}} {{hashtags}}', { title: 'T', summary: '', url: 'U', hashtags: '' }))
      .toBe('T\nsee U');
  });

  it('rejects a template with an unknown field or without {{url}}', () => {
    const a = article({ url: 'https://news.example.org/a' });
    expect(() => composePost(a, 'x', { template: '{{headline}} {{url}}' }))
      .toThrow(expect.objectContaining({ code: 'invalid_template' }));
    expect(() => composePost(a, 'x', { template: '{{title}}' })).toThrow('must contain {{url}}');
  });

  it('reads each network template from templates/social once, with a {{url}} in each', () => {
    for (const network of NETWORKS) {
      const file = path.join(repoRoot, 'templates/social', `${network}.txt`);
      for (let i = 0; i < 3; i++) expect(socialTemplate(network)).toBe(readFileSync(file, 'utf8'));
      expect(socialTemplate(network)).toContain('{{url}}');
      // Every read of the file in this test file, by the test's own lines above or by compose.ts: compose read it once.
      const reads = vi.mocked(readFileSync).mock.calls.filter(([p]) => String(p) === file).length;
      expect(reads - 3, network).toBe(1);
    }
  });

  it('takes the summary from the body, paragraphs apart, when the article has no excerpt', () => {
    const post = composePost(
      article({ title: 'Body', html: '<p>First para.</p><p>Second &amp; <b>bold</b>.</p>', url: 'https://news.example.org/a' }),
      'x',
    );
    expect(post.description).toBe('First para. Second & bold.');
  });
});
