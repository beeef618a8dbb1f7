// A text too long for one post → the parts of a thread, each within the network's own count including its " k/n".
import twitterText from 'twitter-text';
import type { Network } from './channel.js';
import { graphemeCuts, graphemes, measure, type PostTextCheck, validatePostText } from './length.js';
import { networkDefinition } from './networks.js';

/** More parts than this is not a post but an article: the editor is told to shorten the text. */
export const MAX_THREAD_PARTS = 25;

export type ThreadSplit =
  | { ok: true; parts: string[] }
  | { ok: false; message: string };

let sentenceSegmenter: Intl.Segmenter | undefined;
let wordSegmenter: Intl.Segmenter | undefined;

/** The numbering suffix of part `k` of `n`, appended to every part of a thread. */
export const partSuffix = (k: number, n: number) => ` ${k}/${n}`;

/**
 * Splits `text` into numbered parts that each fit `network` (at `limit`, in that network's unit and byte cap),
 * cutting at a sentence end where one fits, else after a word, else between graphemes (a word longer than a post);
 * never inside a URL or a grapheme cluster. The parts keep the text's order, so the link stays where the text has
 * it (a composed post has it in the first part). A text that fits one post is one part, without a number.
 */
export function splitThread(network: Network, text: string, limit?: number): ThreadSplit {
  const whole = text.trim();
  if (whole === '') return { ok: false, message: 'The post is empty.' };
  if (measure(network, whole, { limit }).fits) return { ok: true, parts: [whole] };
  // The widest suffix for a thread of up to 9, 99… parts is reserved while cutting; the real one is never wider,
  // and every counter charges an ASCII digit at most as much as a 9, so a part that fitted keeps fitting.
  for (let digits = 1; 10 ** (digits - 1) <= MAX_THREAD_PARTS; digits++) {
    const widest = partSuffix(10 ** digits - 1, 10 ** digits - 1);
    const pieces = cutAll(network, whole, limit, widest);
    if (!pieces.ok) return pieces;
    if (pieces.parts.length >= 10 ** digits) continue;
    if (pieces.parts.length > MAX_THREAD_PARTS) break;
    const n = pieces.parts.length;
    return { ok: true, parts: pieces.parts.map((p, i) => p + partSuffix(i + 1, n)) };
  }
  return { ok: false, message: `The post needs more than ${MAX_THREAD_PARTS} parts; shorten it.` };
}

function cutAll(network: Network, text: string, limit: number | undefined, suffix: string): ThreadSplit {
  const fits = (candidate: string) => measure(network, candidate + suffix, { limit }).fits;
  const parts: string[] = [];
  let rest = text;
  while (rest !== '') {
    if (parts.length > MAX_THREAD_PARTS) return { ok: true, parts }; // the caller says it is too long
    // Only the start of what is left can make the next part: measuring or segmenting the whole rest for every part
    // is quadratic (Intl.Segmenter takes ~10 µs a grapheme).
    const end = windowEnd(rest, fits);
    if (end === rest.length && fits(rest)) {
      parts.push(rest);
      break;
    }
    const window = rest.slice(0, end);
    const urls = twitterText.extractUrlsWithIndices(rest.slice(0, window.length + MAX_URL_TAIL)).map(({ indices }) => indices);
    const outside = (cuts: number[]) => cuts.filter((c) => !urls.some(([start, end]) => c > start && c < end));
    const cut =
      longestAt(rest, outside(sentenceCuts(window)), fits) ??
      longestAt(rest, outside(wordCuts(window)), fits) ??
      longestAt(rest, outside(graphemeCuts(window)), fits);
    if (cut === undefined) {
      const url = urls.find(([start]) => start === rest.length - rest.trimStart().length);
      return {
        ok: false,
        message: url
          ? `The link ${rest.slice(url[0], url[1])} alone does not fit one post with its number; shorten it.`
          : 'The text cannot be cut to fit one post.',
      };
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return { ok: true, parts };
}

/** How far past the window a URL is looked for, so a link the window cuts short is still seen whole. */
const MAX_URL_TAIL = 4096;

/** A prefix of `text` that no longer fits (or all of it), doubling from a few hundred code units. */
function windowEnd(text: string, fits: (candidate: string) => boolean): number {
  let end = 512;
  while (end < text.length && fits(text.slice(0, end).trimEnd())) end *= 2;
  return Math.min(end, text.length);
}

// The right-most cut whose (trimmed) prefix fits: a binary search, since a longer prefix never measures shorter.
function longestAt(text: string, cuts: number[], fits: (candidate: string) => boolean): number | undefined {
  let lo = 0;
  let hi = cuts.length - 1;
  let best: number | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const prefix = text.slice(0, cuts[mid]).trimEnd();
    if (prefix !== '' && fits(prefix)) {
      best = cuts[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/** Offsets after each sentence (its trailing spaces and line breaks included), the last one excluded. */
function sentenceCuts(text: string): number[] {
  sentenceSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'sentence' });
  return Array.from(sentenceSegmenter.segment(text), (s) => s.index + s.segment.length).filter((c) => c < text.length);
}

// Scripts written without spaces between words: a word boundary there is a fine place to cut.
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/** Offsets before a space, or between two words of a script written without spaces (CJK, Thai). */
function wordCuts(text: string): number[] {
  wordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  const cuts: number[] = [];
  let previous = '';
  for (const { index, segment } of wordSegmenter.segment(text)) {
    const last = Array.from(previous).pop() ?? '';
    const first = Array.from(segment)[0] ?? '';
    if (index > 0 && (/^\s/u.test(segment) || (!/\s/u.test(last) && (UNSPACED_SCRIPT.test(first) || UNSPACED_SCRIPT.test(last))))) {
      cuts.push(index);
    }
    previous = segment;
  }
  return cuts;
}

export type OwnTextCheck = PostTextCheck & { parts?: string[] };

/**
 * Checks an editor's own text: as one post, or, on a network that threads, as the thread it becomes when it is
 * over the limit (`parts`, numbered). Every part is checked like a post of its own (X's refused code points too).
 */
export function validateOwnText(network: Network, text: string, limit?: number): OwnTextCheck {
  const single = validatePostText(network, text, limit);
  if (single.ok || text.trim() === '' || !networkDefinition(network).capabilities.threads) return single;
  const split = splitThread(network, text, limit);
  const { label } = networkDefinition(network);
  if (!split.ok) return { ...single, message: `The ${label} post does not fit one post, nor a thread: ${split.message}` };
  for (const [i, part] of split.parts.entries()) {
    const check = validatePostText(network, part, limit);
    if (!check.ok) return { ...check, message: `Part ${i + 1} of the ${label} thread: ${check.message}` };
  }
  if (split.parts.length === 1) return { ok: true, length: single.length, limit: single.limit };
  return { ok: true, length: single.length, limit: single.limit, parts: split.parts };
}
