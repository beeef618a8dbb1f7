// Link tracking at render time: every link but unsubscribe and preferences becomes a tracked one with the reader
// slot left as a marker, the canary stays out of the text part, and nothing in content can pass for a tag.
import { describe, expect, it } from 'vitest';
import { verifyClickToken } from '../../../src/analytics/click-tokens.js';
import { rewriteBodyLinks } from '../../../src/analytics/link-tracker.js';
import { clickSlotMarker, recipientMarkers, renderEdition, type EditionRenderOptions } from '../../../src/email/edition-renderer.js';
import { compileMimeMessage, personalise } from '../../../src/email/mime-template.js';
import { loadFixtureArticle } from '../../support/fixtures.js';

const SECRET = 'tracking-secret-0123456789abcdef0123456789';
const OPTIONS: EditionRenderOptions = {
  listName: 'Herald Daily',
  postalAddress: '1 Press Row',
  viewInBrowserUrl: 'https://herald.example/editions/abc',
  markerKey: '0123456789abcdef',
  clickTracking: { publicUrl: 'https://herald.example', secret: SECRET, dispatchId: 7, utmHosts: ['news.example.org'] },
};
const SLOT = clickSlotMarker(OPTIONS.markerKey);
const hrefs = (html: string) => Array.from(html.matchAll(/<a\s[^>]*?href="([^"]*)"/g), (m) => m[1].replaceAll('&amp;', '&'));

describe('rewriteBodyLinks', () => {
  it('rewrites http(s) hrefs only, decoding entities, and leaves look-alikes in other attributes alone', () => {
    const body = '<p><a title="x href=&quot;https://a.example/&quot;" href="https://b.example/?a=1&amp;b=2">b</a> ' +
      '<a data-href="https://c.example/">c</a> <a href="mailto:x@example.org">m</a> &lt;a href="https://d.example/"&gt;</p>';
    const seen: string[] = [];
    const out = rewriteBodyLinks(body, (url) => (seen.push(url), 'https://t.example/l/1?x="y"'));
    expect(seen).toEqual(['https://b.example/?a=1&b=2']);
    expect(out).toContain('href="https://t.example/l/1?x=&quot;y&quot;"');
    expect(out).toContain('data-href="https://c.example/"');
    expect(out).toContain('href="mailto:x@example.org"');
    expect(out).toContain('&lt;a href="https://d.example/"&gt;');
  });
});

describe('an edition rendered with click tracking', () => {
  it('tracks every link but unsubscribe and preferences, with the canary first and only in the HTML part', async () => {
    const edition = await renderEdition({ ...loadFixtureArticle('seed-article'), html: '<p><a href="https://other.example/x">x</a></p>' }, OPTIONS);
    const markers = recipientMarkers(OPTIONS.markerKey);
    const links = hrefs(edition.html);
    expect(links.filter((href) => href === markers.unsubscribeUrl || href === markers.preferencesUrl)).toHaveLength(2);
    const tracked = links.filter((href) => href !== markers.unsubscribeUrl && href !== markers.preferencesUrl);
    for (const href of tracked) expect(href).toMatch(new RegExp(`^https://herald\\.example/l/[\\w.-]+\\.${SLOT.replace(/[.%]/g, '\\$&')}$`));
    expect(edition.links.map((l) => l.kind)).toEqual(['canary', 'article', 'view_in_browser', 'body']);
    expect(edition.links[0]).toMatchObject({ position: 0, url: OPTIONS.viewInBrowserUrl });
    expect(edition.links.find((l) => l.kind === 'body')?.url).toBe('https://other.example/x');
    expect(edition.links.find((l) => l.kind === 'article')?.url).toMatch(/utm_source=herald&utm_medium=email&utm_campaign=/);
    expect(edition.text).not.toContain('herald-canary');
    // The text part links through the same tracked URLs, all but the canary (the first link of the HTML).
    const textLinks = new Set(edition.text.match(/https:\/\/herald\.example\/l\/[\w.-]+\.%%c\.[0-9a-f]+%%/g));
    expect([...textLinks].sort()).toEqual([...new Set(tracked.slice(1))].sort());
  });

  it('fills each reader\'s slot into every tracked link of the compiled message', async () => {
    const edition = await renderEdition(loadFixtureArticle('seed-article'), OPTIONS);
    const compiled = compileMimeMessage(edition, { from: 'news@herald.example', listId: 'daily.herald.example', listName: 'Herald Daily' });
    const raw = personalise(compiled, {
      address: 'reader@example.org', messageId: '<1@herald.example>', clickSlot: 'abc.def.ghi',
      unsubscribeUrl: 'https://herald.example/unsubscribe/u', preferencesUrl: 'https://herald.example/preferences/p',
    }).toString().replace(/=\r\n/g, '').replace(/=3D/g, '=');
    expect(raw).not.toContain(SLOT);
    expect(raw).toContain('.abc.def.ghi"');
  });

  it('keeps tracked tokens verifiable to the target they were made for', async () => {
    const edition = await renderEdition(loadFixtureArticle('hostile-article'), OPTIONS);
    for (const href of hrefs(edition.html).filter((h) => h.includes('/l/'))) {
      const token = href.slice('https://herald.example/l/'.length).replace(SLOT, 'w');
      const claims = verifyClickToken([SECRET], token);
      expect(claims?.dispatchId).toBe(7);
      expect(claims?.target).toMatch(/^https:\/\//);
      expect(claims?.target).not.toMatch(/[<>"\s]/);
    }
  });
});
