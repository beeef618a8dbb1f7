// Downloads a post's image so an adapter can upload it; a missing image never blocks a post, it is logged and skipped.
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

export interface LoadImageOptions {
  network: Network;
  /** The network's own upload limit: a larger image is skipped rather than refused by the network. */
  maxBytes: number;
  /** MIME types the network accepts for this upload. */
  accept: readonly string[];
  timeoutMs: number;
  log?: SocialLog;
}

/** Resolves undefined (and logs `social_image_skipped`) when the image cannot be used. */
export async function loadPostImage(
  image: { url: string; alt: string },
  { network, maxBytes, accept, timeoutMs, log }: LoadImageOptions,
): Promise<LoadedImage | undefined> {
  const skip = (reason: string) => {
    log?.warn({ event: 'social_image_skipped', network, url: image.url, reason }, 'posting without the image');
    return undefined;
  };
  let response: Response;
  try {
    response = await fetch(image.url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return skip(`fetch failed: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    return skip(`image answered ${response.status}`);
  }
  const mimeType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!accept.includes(mimeType)) {
    await response.body?.cancel();
    return skip(`unsupported type ${mimeType || '(none)'}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    return skip(`${declared} bytes, over the ${maxBytes} limit`);
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    return skip(`download broke: ${(error as Error).message}`);
  }
  if (bytes.length > maxBytes) return skip(`${bytes.length} bytes, over the ${maxBytes} limit`);
  return { bytes, mimeType, alt: image.alt };
}
