// Editors' own post texts, one per network: their shape for the API, and their length checked like the composer's.
import { z } from 'zod';
import type { Network } from './channel.js';
import { validateOwnText } from './thread-split.js';
import { NETWORK_NAMES } from './networks.js';

/** Far above every network's limit: the real check is `validateOwnText` against the live limit. */
const MAX_RAW_LENGTH = 100_000;
const text = z.string().max(MAX_RAW_LENGTH);

/** One field per network of the registry. */
const perNetwork = <T extends z.ZodType>(field: T) =>
  Object.fromEntries(NETWORK_NAMES.map((network) => [network, field])) as Record<Network, T>;

/** `socialTexts` in POST /api/articles: a text replaces the composed post on that network. */
export const socialTextsInput = z.strictObject(perNetwork(text.optional()));

/** `socialTexts` in PATCH /api/dispatches/:id: `null` removes an override, so the composed post is used again. */
export const socialTextsEdit = z.strictObject(perNetwork(text.nullable().optional()));

export type SocialTexts = z.infer<typeof socialTextsInput>;
export type SocialTextsEdit = z.infer<typeof socialTextsEdit>;

export interface TextIssue {
  path: string;
  message: string;
}

/** One issue per text that will not post as it stands (as one post, or as a thread where the network threads), e.g. `socialTexts.x`: "The X post is 312 characters…; X allows 280." */
export function socialTextIssues(
  texts: SocialTextsEdit | undefined,
  limits: Readonly<Record<Network, number>>,
  path = 'socialTexts',
): TextIssue[] {
  const issues: TextIssue[] = [];
  for (const [network, value] of Object.entries(texts ?? {}) as [Network, string | null | undefined][]) {
    if (value == null) continue;
    const check = validateOwnText(network, value, limits[network]);
    if (!check.ok) issues.push({ path: `${path}.${network}`, message: check.message });
  }
  return issues;
}
