// Post length in each network's own unit: pure counting functions, the length rules of the network definitions.
import twitterText from 'twitter-text';

/** What X and Mastodon charge for any http(s) URL, however long (Mastodon: `characters_reserved_per_url`). */
export const URL_WEIGHT = 23;

let graphemeSegmenter: Intl.Segmenter | undefined;

/** User-perceived characters (extended grapheme clusters): a ZWJ family, a flag or `e` + accent is one. */
export function graphemes(text: string): string[] {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
}

/** Every grapheme boundary inside the text: never splits a ZWJ sequence, a flag or a combining mark. */
export function graphemeCuts(text: string): number[] {
  const cuts: number[] = [];
  let offset = 0;
  for (const g of graphemes(text).slice(0, -1)) cuts.push((offset += g.length));
  return cuts;
}

/** X: twitter-text's weighted length (URLs 23, CJK and emoji 2), exactly what X's API enforces. */
export function xLength(text: string): number {
  return twitterText.parseTweet(text).weightedLength;
}

// Mastodon's Account::MENTION_RE: a remote mention `@alice@example.social` is counted as `@alice`.
const MASTODON_MENTION = /(?<![=/\p{L}\p{N}\p{M}_])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@[\p{L}\p{N}\p{M}_]+(?:[.-]+[\p{L}\p{N}\p{M}_]+)*)?/giu;

/**
 * Mastodon: as StatusLengthValidator counts — URLs with a protocol (twitter-text's extractor, as Mastodon uses)
 * become 23 characters, remote mentions lose their domain, then grapheme clusters are counted.
 */
export function mastodonLength(text: string): number {
  const urls = twitterText.extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false });
  let countable = '';
  let from = 0;
  for (const { indices: [start, end] } of urls) {
    countable += text.slice(from, start).replace(MASTODON_MENTION, '@$1') + 'x'.repeat(URL_WEIGHT);
    from = end;
  }
  countable += text.slice(from).replace(MASTODON_MENTION, '@$1');
  return graphemes(countable).length;
}

/** Bluesky: grapheme clusters of the text as posted; links count in full (the record holds the whole URL). */
export function blueskyLength(text: string): number {
  return graphemes(text).length;
}

/** Facebook: Unicode code points; the limit is so high that the exact unit hardly matters. */
export function facebookLength(text: string): number {
  return Array.from(text).length;
}
