// How long a post is on each network, counted the way that network counts it, and whether it fits.
import twitterText from 'twitter-text';
import type { Network } from './channel.js';

/** Default post limits, in each network's own unit (see the length functions below). */
export const NETWORK_LIMITS: Readonly<Record<Network, number>> = {
  x: 280,
  facebook: 63_206,
  mastodon: 500,
  bluesky: 300,
};

/** Bluesky also caps post text at 3000 UTF-8 bytes (lexicon `app.bsky.feed.post`), whatever the grapheme count. */
export const BLUESKY_MAX_BYTES = 3000;

/** What X and Mastodon charge for any http(s) URL, however long (Mastodon: `characters_reserved_per_url`). */
export const URL_WEIGHT = 23;

const NETWORK_NAMES: Readonly<Record<Network, string>> = {
  x: 'X',
  facebook: 'Facebook',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
};

export interface MeasureOptions {
  /** The limit to check against, e.g. a Mastodon instance's `configuration.statuses.max_characters`.
   *  Default: `NETWORK_LIMITS[network]`. */
  limit?: number;
}

export interface Measurement {
  length: number;
  limit: number;
  fits: boolean;
}

export type PostTextCheck =
  | { ok: true; length: number; limit: number }
  | { ok: false; length: number; limit: number; message: string };

let graphemeSegmenter: Intl.Segmenter | undefined;

/** User-perceived characters (extended grapheme clusters): a ZWJ family, a flag or `e` + accent is one. */
export function graphemes(text: string): string[] {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
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

export const LENGTH_OF: Readonly<Record<Network, (text: string) => number>> = {
  x: xLength,
  facebook: facebookLength,
  mastodon: mastodonLength,
  bluesky: blueskyLength,
};

function limitFor(network: Network, limit: number | undefined): number {
  const resolved = limit ?? NETWORK_LIMITS[network];
  if (resolved === undefined) throw new RangeError(`Unknown network: ${String(network)}`);
  if (!Number.isInteger(resolved) || resolved <= 0) throw new RangeError(`Invalid post limit: ${resolved}`);
  return resolved;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Length of `text` on `network` in that network's unit, its limit, and whether the text fits. */
export function measure(network: Network, text: string, options: MeasureOptions = {}): Measurement {
  const limit = limitFor(network, options.limit);
  const length = LENGTH_OF[network](text);
  const withinBytes = network !== 'bluesky' || utf8Bytes(text) <= BLUESKY_MAX_BYTES;
  return { length, limit, fits: length <= limit && withinBytes };
}

/** Checks an editor's own post text before it is queued; the API answers 400 with `message` when not ok. */
export function validatePostText(network: Network, text: string, limit?: number): PostTextCheck {
  const measured = measure(network, text, { limit });
  const name = NETWORK_NAMES[network];
  const fail = (message: string): PostTextCheck => ({ ok: false, length: measured.length, limit: measured.limit, message });

  if (text.trim() === '') return fail(`The ${name} post is empty.`);
  if (measured.length > measured.limit) {
    const note = network === 'x' ? ' (links count as 23, CJK characters and emoji as 2)'
      : network === 'mastodon' ? ' (links count as 23)' : '';
    return fail(`The ${name} post is ${measured.length} characters${note}; ${name} allows ${measured.limit}.`);
  }
  if (!measured.fits) {
    return fail(`The ${name} post is ${utf8Bytes(text)} bytes; ${name} allows ${BLUESKY_MAX_BYTES} bytes of text.`);
  }
  // X also rejects a few code points outright (U+FEFF, U+FFFE, U+FFFF); twitter-text knows which.
  if (network === 'x' && !twitterText.parseTweet(text, { ...twitterText.configs.defaults, maxWeightedTweetLength: measured.limit }).valid) {
    return fail('The X post contains characters X does not accept (such as U+FEFF or U+FFFF).');
  }
  return { ok: true, length: measured.length, limit: measured.limit };
}
