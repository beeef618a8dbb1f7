// The rules that tell a machine's open (a mail provider's image proxy, a privacy prefetch, a scanner) from a person's:
// the one place they live. Pure. Opens are approximate whatever these rules do: a reader whose mail app blocks
// images never counts, and a proxy that fetches once for a reader who opens three times counts once.
import { machineUserAgent } from './machine-clicks.js';

export type MachineOpenReason = 'head_request' | 'apple_privacy' | 'google_proxy' | 'image_proxy' | 'user_agent' | 'prefetch';

/**
 * Apple Mail Privacy Protection fetches every image of every message on arrival, through Apple's proxy, whether the
 * reader ever opens it; its fetches carry the bare user agent `Mozilla/5.0` and nothing else (Apple Mail itself
 * sends a full `Mozilla/5.0 (Macintosh; …) AppleWebKit/…` or `(iPhone; …)` one).
 */
const APPLE_PRIVACY_AGENT = /^Mozilla\/5\.0$/;
/** Gmail fetches images through its proxy and caches them: the first fetch may be a reader, later opens never show. */
const GOOGLE_PROXY_AGENT = /GoogleImageProxy|ggpht\.com/i;
/** Other providers' image proxies, which fetch on delivery or cache. */
const IMAGE_PROXY_AGENT = /YahooMailProxy|Yahoo Mail Proxy|OutlookImageProxy|Mail\.ru.*Image|YandexImageProxy/i;

export const PREFETCH_RULE = {
  /** A pixel fetched this soon after the message was sent was fetched on arrival (a gateway or a prefetch), not read. */
  afterSendSeconds: 5,
} as const;

export interface OpenRequest {
  method: string;
  userAgent?: string;
  /** When the pixel was fetched. */
  at: Date;
}

/** Why this pixel fetch is a machine's, or undefined for what looks like a person opening the message. */
export function machineOpen(request: OpenRequest, sentAt?: Date): MachineOpenReason | undefined {
  if (request.method.toUpperCase() === 'HEAD') return 'head_request';
  const agent = request.userAgent?.trim() ?? '';
  if (APPLE_PRIVACY_AGENT.test(agent)) return 'apple_privacy';
  if (GOOGLE_PROXY_AGENT.test(agent)) return 'google_proxy';
  if (IMAGE_PROXY_AGENT.test(agent)) return 'image_proxy';
  if (machineUserAgent(agent)) return 'user_agent';
  if (sentAt && request.at.getTime() - sentAt.getTime() < PREFETCH_RULE.afterSendSeconds * 1000) return 'prefetch';
  return undefined;
}
