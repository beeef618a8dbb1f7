// What renderEdition makes of each sample article: escaped, sized for Gmail, markers left for each recipient.
import { describe, expect, it } from 'vitest';
import type { Article } from '../../../src/articles/article.js';
import {
  EditionRenderError,
  recipientMarkers,
  renderEdition,
  type EditionRenderOptions,
} from '../../../src/email/edition-renderer.js';
import { loadFixtureArticle } from '../../support/fixtures.js';

const OPTIONS: EditionRenderOptions = {
  listName: 'Herald Daily',
  postalAddress: 'Herald Media Ltd\n1 Press Row\nSpringfield 12345',
  viewInBrowserUrl: 'https://herald.example/editions/42',
  markerKey: '0123456789abcdef',
};
/** The markers this edition's template carries, keyed per edition. */
const RECIPIENT_MARKERS = recipientMarkers(OPTIONS.markerKey);
/** The fixed markers of the template source, which content may try to write. */
const FIXED_MARKERS = recipientMarkers(null);

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;
// Any on…= attribute inside a tag, the way a browser would see an event handler.
const EVENT_HANDLER_ATTRIBUTE = /<[^>]*\son[a-z]+\s*=/i;

describe('renderEdition', () => {
  it('renders the seed article in full with headline, byline, lead image, body and footer', async () => {
    const edition = await renderEdition(loadFixtureArticle('seed-article'), OPTIONS);

    expect(edition.excerptOnly).toBe(false);
    expect(edition.subject).toBe(
      '‘America, ISIS Accomplice:’ Audio Reveals US Talked With ISIS Before Bombing Syrian Forces!',
    );
    expect(edition.preheader).toBe(
      'Reports came to light saying\u00a0Damascus had acquired a recording of correspondences\u00a0between the American military and ISIS terrorists.',
    );
    expect(edition.html).toContain('<title>‘America, ISIS Accomplice:’ Audio Reveals US Talked');
    expect(edition.html).toContain('>By Budhaditya Bhattacharjee · Nation</div>');
    expect(edition.html).toContain('alt="Coalition airstrike on an ISIL position in Kobane"');
    expect(edition.html).toContain('src="https://news.example.org/media/kobane-airstrike.jpg"');
    expect(edition.html).toContain('<p>Almost sixty-two soldiers were dead due to the bombing');
    expect(edition.html).toContain('href="https://herald.example/editions/42"');
    expect(edition.html).toContain('Herald Media Ltd<br />1 Press Row<br />Springfield 12345');
    expect(edition.html).not.toContain('Continue reading');
    expect(edition.html).not.toMatch(/\{\{|\}\}/);
    expect(edition.html).toContain('style="'); // MJML inlined the layout CSS
  });

  it('leaves exactly one marker per recipient value in each part', async () => {
    const edition = await renderEdition(loadFixtureArticle('seed-article'), OPTIONS);

    expect(edition.html).toContain(`Hi ${RECIPIENT_MARKERS.name}, here is the latest from Herald Daily.`);
    expect(edition.html).toContain(`href="${RECIPIENT_MARKERS.unsubscribeUrl}"`);
    expect(edition.html).toContain(`href="${RECIPIENT_MARKERS.preferencesUrl}"`);
    for (const marker of Object.values(RECIPIENT_MARKERS)) {
      expect(occurrences(edition.html, marker)).toBe(1);
      expect(occurrences(edition.text, marker)).toBe(1);
    }
  });

  it('writes a plain-text part with the link URLs spelled out and without the hidden preheader', async () => {
    const edition = await renderEdition(loadFixtureArticle('seed-article'), OPTIONS);

    expect(edition.text).toMatch(/^View in browser \[https:\/\/herald\.example\/editions\/42\]\n/);
    expect(edition.text).toContain(
      '[https://news.example.org/nation/america-isis-accomplice-audio-reveals-us-talked-with-isis]',
    );
    expect(edition.text).toContain('By Budhaditya Bhattacharjee · Nation');
    expect(edition.text).toContain('Almost sixty-two soldiers were dead due to the bombing');
    expect(edition.text).toContain(`Manage preferences [${RECIPIENT_MARKERS.preferencesUrl}]`);
    expect(edition.text).toContain(`[${RECIPIENT_MARKERS.unsubscribeUrl}]`);
    expect(edition.text).not.toContain('<');
    expect(edition.text).not.toMatch(/\n{3}/);
    expect(occurrences(edition.text, 'Reports came to light')).toBe(1); // the body, not the preheader again
  });

  it("uses the editor's subject and preheader, on one clean line each", async () => {
    const edition = await renderEdition(loadFixtureArticle('seed-article'), {
      ...OPTIONS,
      subject: 'Audio: what the US told ISIS\r\nBcc: someone@example.com',
      preheader: '  The recording,\nexplained  ',
    });

    expect(edition.subject).toBe('Audio: what the US told ISIS Bcc: someone@example.com');
    expect(edition.preheader).toBe('The recording, explained');
    expect(edition.html).toContain('>The recording, explained');
  });

  it('escapes every article field and keeps nothing executable from the hostile article', async () => {
    const edition = await renderEdition(loadFixtureArticle('hostile-article'), OPTIONS);

    expect(edition.subject).toBe("Breaking <script>alert('x')</script> news Bcc: victim@example.com");
    expect(edition.html).toContain('Breaking &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; news Bcc: victim@example.com');
    expect(edition.html).toContain('By Mallory &lt;mallory@example.com&gt; X-Injected: yes · Nation');
    expect(edition.html).toContain(
      'href="https://news.example.org/nation/breaking%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"',
    );
    expect(edition.html).not.toMatch(/<script/i);
    expect(edition.html).not.toMatch(/<iframe/i);
    expect(edition.html).not.toMatch(EVENT_HANDLER_ATTRIBUTE);
    expect(edition.html).not.toMatch(/javascript:/i);
    expect(edition.html).toContain('Safe paragraph with <a href="https://news.example.org/ok"');
  });

  it('keeps CJK, Arabic and emoji intact', async () => {
    const edition = await renderEdition(loadFixtureArticle('unicode-article'), OPTIONS);

    expect(edition.subject).toBe(
      '東京で開かれた気候サミット 🌍 — قمة المناخ في طوكيو: “Zürich’s” delegates say ½ of targets missed',
    );
    expect(edition.html).toContain('<p dir="rtl">قمة المناخ في طوكيو</p>');
    expect(edition.html).toContain('By Zoë Ångström-Núñez · World');
    expect(edition.html).toContain('href="https://news.example.org/world/tokyo-climate-summit-2026?utm_source=rss&amp;ref=a%20b"');
    expect(edition.text).toContain('👨‍👩‍👧‍👦 Families marched outside & sang.');
    expect(edition.html).not.toContain('<img'); // no lead image in this article
  });

  it('sends the excerpt and a "Continue reading" button when the full article would be clipped by Gmail', async () => {
    const article = loadFixtureArticle('long-article');
    expect(Buffer.byteLength(article.html)).toBeGreaterThan(200_000);

    const edition = await renderEdition(article, OPTIONS);

    expect(edition.excerptOnly).toBe(true);
    expect(Buffer.byteLength(edition.html)).toBeLessThan(95_000);
    expect(edition.html).toContain(
      '<p>A long-form piece whose body is far larger than an email client shows before clipping.</p>',
    );
    expect(edition.html).toMatch(
      /<a\s+href="https:\/\/news\.example\.org\/longform\/very-long-slug[^"]*-end"[^>]*>\s*Continue reading\s*<\/a>/,
    );
    expect(edition.html).not.toContain('This long-form investigation paragraph');
    expect(edition.html).toContain(`href="${RECIPIENT_MARKERS.unsubscribeUrl}"`);
    expect(edition.text).toMatch(/Continue reading\n\[https:\/\/news\.example\.org\/longform\/[^\]]+-end\]/);
  });

  it('honours a smaller maxHtmlBytes and cuts a huge excerpt to a teaser', async () => {
    const article: Article = {
      ...loadFixtureArticle('seed-article'),
      excerpt: 'word '.repeat(20_000).trim(),
      html: `<p>${'body '.repeat(4_000)}</p>`,
    };

    const edition = await renderEdition(article, { ...OPTIONS, maxHtmlBytes: 25_000 });

    expect(edition.excerptOnly).toBe(true);
    expect(Buffer.byteLength(edition.html)).toBeLessThanOrEqual(25_000);
    // 600 characters at most, cut after the last whole word.
    expect(edition.html).toContain(`<p>${'word '.repeat(118)}word…</p>`);
    expect(edition.preheader).toBe(`${'word '.repeat(38)}word…`);
  });

  it('refuses an edition that is too large even as an excerpt', async () => {
    const rendering = renderEdition(loadFixtureArticle('seed-article'), { ...OPTIONS, maxHtmlBytes: 5_000 });

    await expect(rendering).rejects.toBeInstanceOf(EditionRenderError);
    await expect(rendering).rejects.toMatchObject({ code: 'edition_too_large' });
  });

  it('never lets article content forge a recipient marker', async () => {
    const article: Article = {
      ...loadFixtureArticle('unicode-article'),
      title: `Free gift ${FIXED_MARKERS.unsubscribeUrl}`,
      html: `<p>Click <a href="https://evil.example/${FIXED_MARKERS.name}">${FIXED_MARKERS.unsubscribeUrl}</a></p>`,
    };

    const edition = await renderEdition(article, OPTIONS);

    for (const marker of Object.values(RECIPIENT_MARKERS)) {
      expect(occurrences(edition.html, marker)).toBe(1);
      expect(occurrences(edition.text, marker)).toBe(1);
    }
    expect(edition.html).toContain('Free gift %\u2060%recipient.unsubscribeUrl%%');
  });

  it('drops a lead image that is not http(s) but keeps the edition', async () => {
    const article: Article = {
      ...loadFixtureArticle('seed-article'),
      imageUrl: 'javascript:alert(1)',
    };

    const edition = await renderEdition(article, OPTIONS);

    expect(edition.html).not.toContain('<img');
    expect(edition.html).not.toContain('javascript:');
  });

  it('refuses an article URL that is not http(s)', async () => {
    const article: Article = { ...loadFixtureArticle('seed-article'), url: 'javascript:alert(1)' };

    await expect(renderEdition(article, OPTIONS)).rejects.toMatchObject({ code: 'invalid_url' });
  });
});
