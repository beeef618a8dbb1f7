// What Herald knows about one social network, in one object: its settings, how it counts a post, what it can do.
import type { z } from 'zod';
import type { OutboundFetcher } from '../net/outbound-fetch.js';
import type { SocialChannel } from './channel.js';
import type { SocialLog } from './post-image.js';

/** What every network's settings receive besides its own variables. */
export interface SharedSocialSettings {
  /** SOCIAL_TIMEOUT_MS: per request to a network. */
  timeoutMs: number;
  /** Fetches content URLs (article images) through the guarded door, with the operator's exceptions. */
  fetcher: OutboundFetcher;
  log?: SocialLog;
}

/** How a network measures a post, and what else it refuses. */
export interface LengthRule {
  /** The default limit, in the network's own unit (a live limit may replace it: `liveLimit`). */
  limit: number;
  /** The post's length in that unit. */
  count(text: string): number;
  /** Said after "N characters" when the count is not the plain one, e.g. ` (links count as 23)`. */
  unitNote?: string;
  /** A cap on the text's UTF-8 bytes on top of the count (Bluesky's lexicon). */
  maxBytes?: number;
  /** Why the network would refuse a text that fits (X: a few code points); undefined when it accepts it. */
  refusal?(text: string, limit: number): string | undefined;
}

/** What the network's API lets an adapter do (`delete`: a retraction deletes its posts, src/social/social-retractor.ts). */
export interface NetworkCapabilities {
  /** The article image is uploaded with the post. */
  images: boolean;
  /** The post shows a link card for the article. */
  cards: boolean;
  /** Replies can chain into a thread. */
  threads: boolean;
  /** A post can be deleted through the API. */
  delete: boolean;
  /** A post can be edited through the API. */
  edit: boolean;
  /**
   * How long the network remembers an Idempotency-Key, less a margin for clock skew: a post a crash interrupted is
   * posted again within this time (the network answers with the first post), and held as uncertain after it.
   * Absent: the network honours no key, so an interrupted post is always held.
   */
  idempotencyKeyMemoryMs?: number;
}

/**
 * One network. `Env` is the zod shape of the environment variables it reads (merged into src/config/config.ts's one
 * schema, so they are validated with everything else); `Settings` is what its adapter is built from.
 */
export interface NetworkDefinition<Name extends string = string, Env extends z.ZodRawShape = z.ZodRawShape, Settings = unknown> {
  /** The channel name: in dispatches, deliveries, job data, API fields (`socialTexts.<name>`) and failure codes. */
  readonly name: Name;
  /** As editors read it, e.g. `X`, `Bluesky`. */
  readonly label: string;
  readonly env: Env;
  /** The adapter's settings when the credentials are complete; undefined puts the network in preview mode. */
  settings(env: z.output<z.ZodObject<Env>>, shared: SharedSocialSettings): Settings | undefined;
  /** The variables still unset before it can post; empty when `settings` gives settings. */
  missing(env: z.output<z.ZodObject<Env>>): string[];
  /** The account deliveries are addressed to (their `recipient`), the same whether it posts or previews. */
  account(env: z.output<z.ZodObject<Env>>): string;
  readonly length: LengthRule;
  /** The compose template's file in templates/social/. */
  readonly template: string;
  readonly capabilities: NetworkCapabilities;
  /**
   * The adapter, imported on first use (client libraries are heavy: a process that never posts never loads them).
   * Annotate its parameter and return type in the definition: inferred, they would make `NetworkName` refer to itself.
   */
  createChannel(settings: Settings): Promise<SocialChannel>;
  /** The account's own post limit (a Mastodon instance's `max_characters`), asked of the loaded adapter. */
  liveLimit?(channel: SocialChannel): Promise<number>;
}

/** Declares a network; keeps its name a literal type, so `NetworkName` is derived from the registry. */
export function defineNetwork<const Name extends string, Env extends z.ZodRawShape, Settings>(
  definition: NetworkDefinition<Name, Env, Settings>,
): NetworkDefinition<Name, Env, Settings> {
  return definition;
}
