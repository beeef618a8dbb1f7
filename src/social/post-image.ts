// Downloads a post's image so an adapter can upload it, through the guarded outbound fetcher: the URL came from an
// article, so it is hostile until checked. A missing or unusable image never blocks a post: it is skipped, with a
// reason the delivery keeps.
import { OutboundFetchError, type OutboundFetcher } from '../net/outbound-fetch.js';
import type { Network } from './channel.js';

/** Pino-compatible: a pino logger can be passed as is. */
export interface SocialLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface LoadedImage {
  bytes: Buffer;
  mimeType: string;
  alt: string;
}

/** The image was not used; the post goes out without it. */
export interface SkippedImage {
  skipped: string;
}

export interface LoadImageOptions {
  network: Network;
  /** The network's own upload limit: a larger image is skipped rather than refused by the network. */
  maxBytes: number;
  /** MIME types the network accepts for this upload. */
  accept: readonly string[];
  timeoutMs: number;
  fetcher: OutboundFetcher;
  log?: SocialLog;
}

/** What the bytes are, by their first bytes: a server's Content-Type is not trusted. */
export function sniffImageType(bytes: Buffer): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (bytes.subarray(0, 6).toString('latin1') === 'GIF87a' || bytes.subarray(0, 6).toString('latin1') === 'GIF89a') return 'image/gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}

export const isSkipped = (outcome: LoadedImage | SkippedImage): outcome is SkippedImage => 'skipped' in outcome;

/** The image, or why it was skipped (also logged as `social_image_skipped`). */
export async function loadPostImage(
  image: { url: string; alt: string },
  { network, maxBytes, accept, timeoutMs, fetcher, log }: LoadImageOptions,
): Promise<LoadedImage | SkippedImage> {
  const skip = (reason: string): SkippedImage => {
    log?.warn({ event: 'social_image_skipped', network, url: image.url, reason }, 'posting without the image');
    return { skipped: reason };
  };
  let response;
  try {
    response = await fetcher.fetch(image.url, { maxBytes, timeoutMs, headers: { accept: accept.join(', ') } });
  } catch (error) {
    if (error instanceof OutboundFetchError && error.code === 'too_large') return skip(`image is ${error.message}`);
    return skip(`image not fetched: ${(error as Error).message}`);
  }
  if (response.status < 200 || response.status >= 300) return skip(`image answered ${response.status}`);
  const mimeType = sniffImageType(response.body);
  if (!mimeType) return skip('the answer is not an image (JPEG, PNG, GIF or WebP)');
  if (!accept.includes(mimeType)) return skip(`${network} does not take ${mimeType} here`);
  return { bytes: response.body, mimeType, alt: image.alt };
}
