// What one social delivery posts: its text (composed to the network's limit, or the editor's own) and the link card.
import type { Network, SocialPost } from './channel.js';
import { composePost, type ComposableArticle, PostCompositionError } from './compose.js';
import { measure } from './length.js';
import { networkDefinition } from './networks.js';
import { splitThread, validateOwnText } from './thread-split.js';

export type DeliveryText = { ok: true; text: string; override: boolean } | { ok: false; reason: string };

/**
 * The text stored in the delivery's `content`: the editor's override when there is one (checked against the same
 * limit), else the composed post. Never throws for the article's sake: a post that cannot be made says why.
 */
export function deliveryText(
  article: ComposableArticle,
  network: Network,
  options: { limit: number; override?: string; threadArticles?: boolean },
): DeliveryText {
  try {
    if (options.override !== undefined) {
      // Over the limit on a network that threads: stored whole, posted as a thread (src/social/thread-poster.ts).
      const check = validateOwnText(network, options.override, options.limit);
      if (!check.ok) return { ok: false, reason: `editor text: ${check.message}` };
      socialPostFor(article, network, options.override); // the link card needs a postable URL all the same
      return { ok: true, text: options.override, override: true };
    }
    if (options.threadArticles && networkDefinition(network).capabilities.threads) {
      // The whole composition (nothing shortened), posted as a thread when it needs more than one post.
      const whole = composePost(article, network, { limit: Number.MAX_SAFE_INTEGER }).text;
      if (!measure(network, whole, { limit: options.limit }).fits && splitThread(network, whole, options.limit).ok) {
        return { ok: true, text: whole, override: false };
      }
    }
    return { ok: true, text: composePost(article, network, { limit: options.limit }).text, override: false };
  } catch (error) {
    if (error instanceof PostCompositionError) return { ok: false, reason: `${error.code}: ${error.message}` };
    throw error;
  }
}

/**
 * The post for a stored text. Link, title, description and image do not depend on the limit; composing without
 * one (any text fits) only yields those card fields, so an editor's text never fails on the template's length.
 */
export function socialPostFor(article: ComposableArticle, network: Network, text: string): SocialPost {
  return { ...composePost(article, network, { limit: Number.MAX_SAFE_INTEGER }), text };
}
