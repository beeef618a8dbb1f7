// What each network would post for an article (saved or draft), measured against its live limit, for the editor.
import type { Network } from './channel.js';
import type { ComposableArticle } from './compose.js';
import { deliveryText } from './delivery-post.js';
import { measure } from './length.js';
import type { SocialAccounts } from './social-accounts.js';
import type { SocialTexts } from './social-texts.js';
import { splitThread, validateOwnText } from './thread-split.js';

export interface PostPreview {
  network: Network;
  account: string;
  /** `post`: credentials set, the post will go out; `preview`: stored only. */
  mode: 'post' | 'preview';
  /** The editor's text rather than the composed one. */
  override: boolean;
  /** Null when no post can be made (see `message`). */
  text: string | null;
  /** In the network's own unit (X: weighted, URLs 23; Bluesky: graphemes). */
  length: number | null;
  limit: number;
  fits: boolean;
  /** Why the text does not fit, or why no post can be made. */
  message?: string;
  /** A text over the limit on a network that threads: the numbered parts it is posted as, first to last. */
  parts?: string[];
}

export async function previewPosts(
  article: ComposableArticle,
  accounts: SocialAccounts,
  overrides: SocialTexts = {},
): Promise<PostPreview[]> {
  const limits = await accounts.limits();
  return accounts.all().map(({ network, account, channel }) => {
    const limit = limits[network];
    const base = { network, account, mode: channel ? ('post' as const) : ('preview' as const), limit };
    const override = overrides[network];
    if (override !== undefined) {
      // An over-long text is still shown with its count, so the editor can see by how much to shorten it.
      const check = validateOwnText(network, override, limit);
      return {
        ...base,
        override: true,
        text: override,
        length: check.length,
        fits: check.ok,
        ...(check.ok ? {} : { message: check.message }),
        ...(check.parts ? { parts: check.parts } : {}),
      };
    }
    const composed = deliveryText(article, network, { limit, threadArticles: accounts.threadArticles });
    if (!composed.ok) return { ...base, override: false, text: null, length: null, fits: false, message: composed.reason };
    const split = splitThread(network, composed.text, limit);
    const parts = split.ok && split.parts.length > 1 ? { parts: split.parts } : {};
    return { ...base, override: false, text: composed.text, length: measure(network, composed.text, { limit }).length, fits: true, ...parts };
  });
}
