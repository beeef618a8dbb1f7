// Post length per network, counted as each network counts it: X via twitter-text, Mastodon, Bluesky, Facebook.
import twitterText from 'twitter-text';
import { describe, expect, it } from 'vitest';
import {
  BLUESKY_MAX_BYTES,
  NETWORK_LIMITS,
  blueskyLength,
  facebookLength,
  graphemes,
  mastodonLength,
  measure,
  validatePostText,
  xLength,
} from '../../../src/social/length.js';

const FAMILY = '👨‍👩‍👧‍👦'; // 7 code points, 11 UTF-16 units, 25 UTF-8 bytes, one grapheme
const FLAG = '🇯🇵';
const LONG_URL = `https://news.example.org/${'slug-'.repeat(40)}end`; // 228 characters

describe('graphemes', () => {
  it('keeps ZWJ sequences, flags and combining marks whole', () => {
    expect(graphemes(`a${FAMILY}${FLAG}e\u0301`)).toEqual(['a', FAMILY, FLAG, 'e\u0301']);
  });
});

describe('X (twitter-text weighted length)', () => {
  it('counts Latin as 1, CJK and emoji as 2, any URL as 23', () => {
    expect(xLength('hello')).toBe(5);
    expect(xLength('東京')).toBe(4);
    expect(xLength(FAMILY)).toBe(2);
    expect(xLength(FLAG)).toBe(2);
    expect(LONG_URL.length).toBe(228);
    expect(xLength(LONG_URL)).toBe(23);
    expect(xLength(`Read ${LONG_URL}`)).toBe(28);
  });

  it('agrees with parseTweet().valid at the 280 boundary, for Latin and for CJK', () => {
    expect(measure('x', 'a'.repeat(280))).toEqual({ length: 280, limit: 280, fits: true });
    expect(measure('x', 'a'.repeat(281))).toEqual({ length: 281, limit: 280, fits: false });
    expect(measure('x', '東'.repeat(140))).toEqual({ length: 280, limit: 280, fits: true });
    expect(measure('x', '東'.repeat(141)).fits).toBe(false);
    expect(twitterText.parseTweet('東'.repeat(140)).valid).toBe(true);
    expect(twitterText.parseTweet('東'.repeat(141)).valid).toBe(false);
  });
});

describe('Mastodon (StatusLengthValidator)', () => {
  it('counts graphemes, with every http(s) URL as 23', () => {
    expect(mastodonLength(FAMILY)).toBe(1);
    expect(mastodonLength('東京')).toBe(2);
    expect(mastodonLength(LONG_URL)).toBe(23);
    expect(mastodonLength(`See ${LONG_URL} now`)).toBe(4 + 23 + 4);
  });

  it('gives no URL concession without a protocol, as Mastodon extracts without protocol-less URLs', () => {
    expect(mastodonLength('news.example.org/a-long-path')).toBe(28);
  });

  it('counts a remote mention without its domain', () => {
    expect(mastodonLength('@alice@mastodon.social hi')).toBe('@alice hi'.length);
    expect(mastodonLength('mail me at bob@example.com')).toBe(26); // not a mention: preceded by a letter
  });

  it('uses 500 by default and the instance limit when passed', () => {
    const text = 'a'.repeat(600);
    expect(measure('mastodon', text)).toEqual({ length: 600, limit: 500, fits: false });
    expect(measure('mastodon', text, { limit: 1000 })).toEqual({ length: 600, limit: 1000, fits: true });
    expect(measure('mastodon', 'a'.repeat(500)).fits).toBe(true);
    expect(measure('mastodon', 'a'.repeat(501)).fits).toBe(false);
  });
});

describe('Bluesky (graphemes, URLs in full)', () => {
  it('counts URLs character by character and emoji sequences as one', () => {
    expect(blueskyLength(LONG_URL)).toBe(228);
    expect(blueskyLength(`${FAMILY}${FLAG}e\u0301`)).toBe(3);
  });

  it('fits 300 graphemes but not 301', () => {
    expect(measure('bluesky', 'é'.repeat(300))).toEqual({ length: 300, limit: 300, fits: true });
    expect(measure('bluesky', 'é'.repeat(301)).fits).toBe(false);
  });

  it('also enforces the 3000-byte cap: 300 family emoji are 300 graphemes but 7500 bytes', () => {
    const text = FAMILY.repeat(300);
    expect(BLUESKY_MAX_BYTES).toBe(3000);
    expect(measure('bluesky', text)).toEqual({ length: 300, limit: 300, fits: false });
  });
});

describe('Facebook', () => {
  it('counts code points against 63,206', () => {
    expect(NETWORK_LIMITS.facebook).toBe(63_206);
    expect(facebookLength(FAMILY)).toBe(7);
    expect(measure('facebook', 'a'.repeat(63_206)).fits).toBe(true);
    expect(measure('facebook', 'a'.repeat(63_207)).fits).toBe(false);
  });
});

describe('validatePostText', () => {
  it('accepts a post that fits, with its measured length and limit', () => {
    expect(validatePostText('x', `Hello ${LONG_URL}`)).toEqual({ ok: true, length: 29, limit: 280 });
    expect(validatePostText('mastodon', 'a'.repeat(600), 1000)).toEqual({ ok: true, length: 600, limit: 1000 });
  });

  it('rejects an over-long post with the length, the limit and a message naming both', () => {
    const result = validatePostText('x', '東'.repeat(141));
    expect(result).toMatchObject({ ok: false, length: 282, limit: 280 });
    expect(!result.ok && result.message).toBe(
      'The X post is 282 characters (links count as 23, CJK characters and emoji as 2); X allows 280.',
    );
    expect(validatePostText('bluesky', 'a'.repeat(301))).toMatchObject({ ok: false, length: 301, limit: 300 });
  });

  it('rejects empty text, Bluesky text over the byte cap and characters X refuses', () => {
    expect(validatePostText('mastodon', '  ')).toMatchObject({ ok: false, message: 'The Mastodon post is empty.' });
    expect(validatePostText('bluesky', FAMILY.repeat(150))).toMatchObject({
      ok: false,
      length: 150,
      message: 'The Bluesky post is 3750 bytes; Bluesky allows 3000 bytes of text.',
    });
    expect(validatePostText('x', 'hi\uFFFE')).toEqual({
      ok: false,
      length: 4, // U+FFFE is outside X's weight-1 ranges
      limit: 280,
      message: 'The X post contains characters X does not accept (such as U+FEFF or U+FFFF).',
    });
  });

  it('refuses a nonsensical limit instead of accepting everything', () => {
    expect(() => validatePostText('mastodon', 'hi', 0)).toThrow(RangeError);
  });
});
