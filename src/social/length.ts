// How long a post is on each network, counted the way that network counts it (its definition's length rule), and whether it fits.
import type { Network } from './channel.js';
import { NETWORK_DEFINITIONS, networkDefinition } from './networks.js';

export { BLUESKY_MAX_BYTES } from './bluesky-network.js';
export { blueskyLength, facebookLength, graphemeCuts, graphemes, mastodonLength, URL_WEIGHT, xLength } from './length-units.js';

/** Default post limits, in each network's own unit (see src/social/length-units.ts). */
export const NETWORK_LIMITS = Object.fromEntries(NETWORK_DEFINITIONS.map((d) => [d.name, d.length.limit])) as Readonly<Record<Network, number>>;

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

function limitFor(network: Network, limit: number | undefined): number {
  const resolved = limit ?? networkDefinition(network).length.limit;
  if (!Number.isInteger(resolved) || resolved <= 0) throw new RangeError(`Invalid post limit: ${resolved}`);
  return resolved;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Length of `text` on `network` in that network's unit, its limit, and whether the text fits. */
export function measure(network: Network, text: string, options: MeasureOptions = {}): Measurement {
  const limit = limitFor(network, options.limit);
  const rule = networkDefinition(network).length;
  const length = rule.count(text);
  const withinBytes = rule.maxBytes === undefined || utf8Bytes(text) <= rule.maxBytes;
  return { length, limit, fits: length <= limit && withinBytes };
}

/** Checks an editor's own post text before it is queued; the API answers 400 with `message` when not ok. */
export function validatePostText(network: Network, text: string, limit?: number): PostTextCheck {
  const measured = measure(network, text, { limit });
  const { label: name, length: rule } = networkDefinition(network);
  const fail = (message: string): PostTextCheck => ({ ok: false, length: measured.length, limit: measured.limit, message });

  if (text.trim() === '') return fail(`The ${name} post is empty.`);
  if (measured.length > measured.limit) {
    return fail(`The ${name} post is ${measured.length} characters${rule.unitNote ?? ''}; ${name} allows ${measured.limit}.`);
  }
  if (!measured.fits) {
    return fail(`The ${name} post is ${utf8Bytes(text)} bytes; ${name} allows ${rule.maxBytes} bytes of text.`);
  }
  const refusal = rule.refusal?.(text, measured.limit);
  if (refusal) return fail(refusal);
  return { ok: true, length: measured.length, limit: measured.limit };
}
