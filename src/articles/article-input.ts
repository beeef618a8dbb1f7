// What a CMS may send as an article, validated and cleaned before it touches the database.
import { z } from 'zod';
import { NETWORK_NAMES } from '../social/networks.js';
import { socialTextsInput } from '../social/social-texts.js';
import { DISPATCH_PRIORITIES } from '../dispatch/priority.js';
import { scheduleInput } from '../dispatch/schedule.js';
import { localTimeInput } from '../dispatch/local-time.js';
import { sanitizeArticleHtml } from './sanitize.js';
import { cleanLine, stripTags } from '../text/plain-text.js';

const MAX_HTML_BYTES = 2 * 1024 * 1024;

/** Parses and re-serialises the URL: quotes, brackets and spaces come out percent-encoded, so they cannot break out. */
function normaliseHttpUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .transform((raw, ctx) => {
    const url = normaliseHttpUrl(raw);
    if (!url) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      return z.NEVER;
    }
    return url;
  });

/** Email, then every network of the registry (src/social/networks.ts). */
export const channelNames: readonly ['email', ...(typeof NETWORK_NAMES)[number][]] = ['email', ...NETWORK_NAMES];

export const articleInput = z.object({
  externalId: z.string().trim().min(1).max(200),
  title: z.string().min(1).max(1000).transform(cleanLine).pipe(z.string().min(1, 'must not be blank')),
  url: httpUrl,
  excerpt: z.string().max(5000).default('').transform((s) => cleanLine(stripTags(s))),
  html: z
    .string()
    .default('')
    .refine((s) => Buffer.byteLength(s) <= MAX_HTML_BYTES, { message: `must be at most ${MAX_HTML_BYTES} bytes` })
    .transform(sanitizeArticleHtml),
  author: z
    .object({ name: z.string().max(300).transform((s) => cleanLine(stripTags(s))) })
    .nullish(),
  section: z.string().max(200).nullish().transform((s) => (s ? cleanLine(stripTags(s)) || null : null)),
  tags: z
    .array(z.string().max(200))
    .max(50)
    .default([])
    .transform((tags) => [...new Set(tags.map((t) => cleanLine(stripTags(t))).filter(Boolean))]),
  image: z
    .object({ url: httpUrl, alt: z.string().max(1000).default('').transform((s) => cleanLine(stripTags(s))) })
    .nullish(),
  publishedAt: z.string().datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional(),
  schedule: scheduleInput.optional(),
  /**
   * "HH:MM": the email goes out at that time in each reader's zone, in waves, on the first date its earliest wave is
   * still ahead (of the schedule, or of now). Social posts go at the dispatch's start as usual.
   */
  localTime: localTimeInput.optional(),
  channels: z.array(z.enum(channelNames)).min(1).max(channelNames.length).optional(),
  /** `breaking`: the dispatch goes ahead of everything queued, a large send already running included. */
  priority: z.enum(DISPATCH_PRIORITIES).optional(),
  /** The editor's own post per network, instead of the composed one (lengths checked by the route). */
  socialTexts: socialTextsInput.optional(),
});

export type ArticleInput = z.infer<typeof articleInput>;
