// A feed publisher on loopback for tests: serves an RSS 2.0 and an Atom feed whose items a test can add to, and
// counts how often each was fetched.
import { createServer, type Server } from 'node:http';

export interface FeedEntry {
  id: string;
  title: string;
  url: string;
  html: string;
  publishedAt: string;
  tags?: string[];
}

export interface FeedServer {
  rssUrl: string;
  atomUrl: string;
  rss: FeedEntry[];
  atom: FeedEntry[];
  /** Requests per path, e.g. hits('/rss.xml'). */
  hits(path: string): number;
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function rssDocument(items: FeedEntry[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Test RSS</title><link>https://news.example.org/</link><description>Test</description>
${[...items].reverse().map((i) => `<item><guid isPermaLink="false">${xml(i.id)}</guid><title>${xml(i.title)}</title><link>${xml(i.url)}</link>
<description>${xml(`<p>${i.title}: summary</p>`)}</description><content:encoded><![CDATA[${i.html}]]></content:encoded>
<dc:creator>Feed Author</dc:creator>${(i.tags ?? []).map((t) => `<category>${xml(t)}</category>`).join('')}
<pubDate>${new Date(i.publishedAt).toUTCString()}</pubDate></item>`).join('\n')}
</channel></rss>`;
}

function atomDocument(items: FeedEntry[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Test Atom</title><id>urn:test:atom</id><updated>${new Date().toISOString()}</updated>
${[...items].reverse().map((i) => `<entry><id>${xml(i.id)}</id><title type="html">${xml(i.title)}</title><link rel="alternate" href="${xml(i.url)}"/>
<updated>${i.publishedAt}</updated><published>${i.publishedAt}</published><author><name>Atom Author</name></author>
${(i.tags ?? []).map((t) => `<category term="${xml(t)}"/>`).join('')}<summary>${xml(i.title)} summary</summary>
<content type="html">${xml(i.html)}</content></entry>`).join('\n')}
</feed>`;
}

export async function startFeedServer(): Promise<FeedServer> {
  const rss: FeedEntry[] = [];
  const atom: FeedEntry[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (path === '/rss.xml') return response.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssDocument(rss));
    if (path === '/atom.xml') return response.writeHead(200, { 'content-type': 'application/atom+xml' }).end(atomDocument(atom));
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    rssUrl: `http://127.0.0.1:${port}/rss.xml`,
    atomUrl: `http://127.0.0.1:${port}/atom.xml`,
    rss,
    atom,
    hits: (path) => counts.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
