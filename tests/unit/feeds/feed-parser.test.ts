// Reading RSS 2.0, RSS 1.0 and Atom into items, and an item into the article payload intake validates.
import { describe, expect, it } from 'vitest';
import { articleInput } from '../../../src/articles/article-input.js';
import { feedItemArticle, feedItemExternalId } from '../../../src/feeds/feed-article.js';
import { FeedParseError, parseFeed } from '../../../src/feeds/feed-parser.js';

const RSS = `<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>News &amp; Views</title>
  <item>
    <title>Bridge &amp; tunnel</title><link>/local/bridge</link><guid isPermaLink="false">post-42</guid>
    <description>&lt;p&gt;The &lt;b&gt;short&lt;/b&gt; one&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p>The <em>long</em> one</p>]]></content:encoded>
    <author>desk@example.org (Dana Desk)</author><category>Local</category><category>Transport</category>
    <media:content url="https://cdn.example.org/bridge.jpg" medium="image"/>
    <pubDate>Tue, 03 Mar 2026 09:30:00 +0100</pubDate>
  </item>
  <item><title>Only a link</title><link>https://news.example.org/only-link</link></item>
</channel></rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">Atom news</title>
  <entry>
    <id>tag:news.example.org,2026:1</id><title type="html">Tom &amp;amp; Jerry</title>
    <link rel="alternate" href="https://news.example.org/tj"/><link rel="enclosure" type="image/png" href="/tj.png"/>
    <published>2026-03-01T08:00:00Z</published><updated>2026-03-02T08:00:00Z</updated>
    <author><name>Ann Atom</name></author><category term="cartoons" label="Cartoons"/>
    <summary>Plain &lt;summary&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Chase <b>scene</b></p></div></content>
  </entry>
</feed>`;

describe('parseFeed', () => {
  it('reads RSS items: guid, resolved link, full content, author name, categories, image, date', () => {
    const feed = parseFeed(RSS, 'https://news.example.org/feed.xml');
    expect(feed).toMatchObject({ format: 'rss', title: 'News & Views' });
    expect(feed.items[0]).toEqual({
      id: 'post-42',
      title: 'Bridge & tunnel',
      url: 'https://news.example.org/local/bridge',
      html: '<p>The <em>long</em> one</p>',
      summary: '<p>The <b>short</b> one</p>',
      author: 'Dana Desk',
      tags: ['Local', 'Transport'],
      imageUrl: 'https://cdn.example.org/bridge.jpg',
      publishedAt: '2026-03-03T08:30:00.000Z',
    });
    // No guid: the link identifies the item.
    expect(feed.items[1]).toMatchObject({ id: 'https://news.example.org/only-link', html: '', publishedAt: null });
  });

  it('reads Atom entries: html titles decoded, XHTML content unwrapped, enclosure image resolved', () => {
    const [entry] = parseFeed(ATOM, 'https://news.example.org/atom.xml').items;
    expect(entry).toMatchObject({
      id: 'tag:news.example.org,2026:1',
      title: 'Tom & Jerry',
      url: 'https://news.example.org/tj',
      html: '<p>Chase <b>scene</b></p>',
      summary: 'Plain &lt;summary&gt;',
      author: 'Ann Atom',
      tags: ['Cartoons'],
      imageUrl: 'https://news.example.org/tj.png',
      publishedAt: '2026-03-01T08:00:00.000Z',
    });
  });

  it('reads RSS 1.0 (RDF) and refuses what is not a feed', () => {
    const rdf = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="x"><title>RDF</title></channel>
      <item rdf:about="https://news.example.org/rdf-1"><title>One</title><link>https://news.example.org/rdf-1</link><dc:date>2026-01-05T10:00:00Z</dc:date></item>
    </rdf:RDF>`;
    expect(parseFeed(rdf, 'https://news.example.org/').items[0]).toMatchObject({ id: 'https://news.example.org/rdf-1', publishedAt: '2026-01-05T10:00:00.000Z' });
    expect(() => parseFeed('<html><body>nope</body></html>', 'https://x.example')).toThrow(FeedParseError);
  });
});

describe('feedItemArticle', () => {
  it('makes a payload articleInput accepts, with a long id hashed into a fitting externalId', () => {
    const [item] = parseFeed(RSS, 'https://news.example.org/feed.xml').items;
    const input = articleInput.parse(feedItemArticle(item, 'https://news.example.org/feed.xml'));
    expect(input).toMatchObject({ externalId: feedItemExternalId('https://news.example.org/feed.xml', 'post-42'), title: 'Bridge & tunnel', excerpt: 'The short one', author: { name: 'Dana Desk' } });
    const long = 'x'.repeat(300);
    expect(feedItemExternalId('https://a.example/feed', long)).toMatch(/^feed:[0-9a-f]{12}:h:[0-9a-f]{64}$/);
    // Namespaced by feed: the same guid from two feeds, or from a CMS, never meets another source's externalId.
    expect(feedItemExternalId('https://a.example/feed', 'post-42')).toMatch(/^feed:[0-9a-f]{12}:post-42$/);
    expect(feedItemExternalId('https://a.example/feed', 'post-42')).not.toBe(feedItemExternalId('https://b.example/feed', 'post-42'));
    expect(feedItemExternalId('https://a.example/feed', long)).not.toBe(feedItemExternalId('https://b.example/feed', long));
  });
});
