// Reads an RSS 2.0, RSS 1.0 (RDF) or Atom document into plain items; no I/O. Text is decoded, HTML left as HTML
// (intake sanitises it), relative links resolved against the feed's address.
import { XMLParser } from 'fast-xml-parser';
import { stripTags } from '../text/plain-text.js';

export interface FeedItem {
  /** RSS guid, Atom id, or the link when an item has neither: what makes an item "new". */
  id: string;
  title: string;
  url: string | null;
  /** The fullest body the feed offers (content:encoded, Atom content, else the description). */
  html: string;
  /** The short form (description or summary), as HTML or text. */
  summary: string;
  author: string | null;
  tags: string[];
  imageUrl: string | null;
  /** ISO 8601, or null when the feed gives no readable date. */
  publishedAt: string | null;
}

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'rdf';
  title: string;
  items: FeedItem[];
}

export class FeedParseError extends Error {}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['item', 'entry', 'link', 'category', 'enclosure', 'media:content', 'media:thumbnail', 'author', 'dc:subject']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
  // Atom content may be XHTML: kept as written rather than turned into objects.
  stopNodes: ['feed.entry.content', 'feed.entry.summary'],
});

export function parseFeed(xml: string, feedUrl: string): ParsedFeed {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (error) {
    throw new FeedParseError(`not well-formed XML: ${(error as Error).message}`);
  }
  const resolve = (href: string | null) => resolveUrl(href, feedUrl);
  if (isNode(doc.rss)) {
    const channel = doc.rss.channel;
    if (!isNode(channel)) throw new FeedParseError('an RSS document without a channel');
    return { format: 'rss', title: text(channel.title), items: nodes(channel.item).map((item) => rssItem(item, resolve)) };
  }
  if (isNode(doc.feed)) {
    return { format: 'atom', title: atomText(doc.feed.title), items: nodes(doc.feed.entry).map((entry) => atomEntry(entry, resolve)) };
  }
  const rdf = doc['rdf:RDF'];
  if (isNode(rdf)) {
    return { format: 'rdf', title: text((rdf.channel as Node | undefined)?.title), items: nodes(rdf.item).map((item) => rssItem(item, resolve)) };
  }
  throw new FeedParseError('neither RSS nor Atom (expected <rss>, <feed> or <rdf:RDF>)');
}

function rssItem(item: Node, resolve: (href: string | null) => string | null): FeedItem {
  const link = resolve(text(item.link) || null);
  const guid = text(item.guid);
  const description = text(item.description);
  const images = [
    ...nodes(item.enclosure).filter((e) => /^image\//i.test(text(e['@_type']))).map((e) => text(e['@_url'])),
    ...nodes(item['media:content']).filter((m) => !m['@_medium'] || m['@_medium'] === 'image').map((m) => text(m['@_url'])),
    ...nodes(item['media:thumbnail']).map((m) => text(m['@_url'])),
  ].filter(Boolean);
  return {
    id: guid || link || text(item['@_rdf:about']),
    title: text(item.title),
    url: link ?? (/^https?:\/\//i.test(guid) ? guid : null),
    html: text(item['content:encoded']) || description,
    summary: description,
    author: text(item['dc:creator']) || rssAuthor(item.author) || null,
    tags: [...nodes(item.category), ...nodes(item['dc:subject'])].map(text).filter(Boolean),
    imageUrl: resolve(images[0] ?? null),
    publishedAt: isoDate(text(item.pubDate) || text(item['dc:date'])),
  };
}

function atomEntry(entry: Node, resolve: (href: string | null) => string | null): FeedItem {
  const links = nodes(entry.link);
  const alternate = links.find((l) => !l['@_rel'] || l['@_rel'] === 'alternate');
  const url = resolve(text(alternate?.['@_href']) || null);
  const image = links.find((l) => l['@_rel'] === 'enclosure' && /^image\//i.test(text(l['@_type'])));
  const summary = atomContent(entry.summary);
  return {
    id: text(entry.id) || url || '',
    title: atomText(entry.title),
    url,
    html: atomContent(entry.content) || summary,
    summary,
    author: text(nodes(entry.author)[0]?.name) || null,
    tags: nodes(entry.category).map((c) => text(c['@_label']) || text(c['@_term'])).filter(Boolean),
    imageUrl: resolve(text(image?.['@_href']) || text(nodes(entry['media:thumbnail'])[0]?.['@_url']) || null),
    publishedAt: isoDate(text(entry.published) || text(entry.updated)),
  };
}

/** An Atom text construct as plain text: type="html" and "xhtml" are markup, "text" (the default) is not. */
function atomText(node: unknown): string {
  const value = text(node);
  return isNode(node) && (node['@_type'] === 'html' || node['@_type'] === 'xhtml') ? stripTags(value) : value;
}

/** Atom content kept raw by the parser: escaped HTML is decoded; XHTML loses its wrapping div. */
function atomContent(node: unknown): string {
  const raw = text(node);
  if (!raw) return '';
  const type = isNode(node) ? text(node['@_type']) : '';
  if (type === 'xhtml') return raw.replace(/^\s*<div[^>]*>([\s\S]*)<\/div>\s*$/i, '$1').trim();
  const decoded = decodeXml(raw.replace(/^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/, '$1'));
  return type === 'html' ? decoded : escapeText(decoded);
}

/** RSS <author> is an address, often "news@example.org (Jane Doe)": the name when there is one. */
function rssAuthor(node: unknown): string {
  const value = text(nodes(node)[0] ?? node);
  return /\(([^)]+)\)/.exec(value)?.[1] ?? (value.includes('@') ? '' : value);
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeXml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, name: string) => {
    if (name[0] !== '#') return XML_ENTITIES[name.toLowerCase()];
    const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function isoDate(value: string): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function resolveUrl(href: string | null, base: string): string | null {
  if (!href) return null;
  try {
    return new URL(href.trim(), base).href;
  } catch {
    return null;
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nodes(value: unknown): Node[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => (isNode(v) ? v : { '#text': v }));
}

/** The text of an element, whether the parser gave a string or an object with attributes. */
function text(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isNode(value)) return text(value['#text']);
  if (Array.isArray(value)) return text(value[0]);
  return '';
}
