// Turns an edition's links into tracked ones (PUBLIC_URL/l/<token>) as it is rendered, once per edition: each link
// gets a position and a signed token naming its target; the reader's part of the token is a marker every message fills.
import { escapeHtml } from '../runtime/escape-html.js';
import { signClickLink } from './click-tokens.js';
import { withUtm } from './utm.js';

export type TrackedLinkKind = 'article' | 'view_in_browser' | 'body' | 'canary';

export interface TrackedLink {
  position: number;
  /** Where the link goes (with the UTM parameters, when it goes to an own host). */
  url: string;
  kind: TrackedLinkKind;
}

export interface ClickTrackingSettings {
  publicUrl: string;
  /** The installation secret (the current one: tokens are signed with it, and checked against the previous too). */
  secret: string;
  dispatchId: number;
  /** Hosts of the newsroom's own site, whose links get UTM parameters (HERALD_UTM_HOSTS). */
  utmHosts: readonly string[];
  /** HERALD_TRACK_OPENS: also put the open pixel in (see insertOpenPixel). Default off. */
  trackOpens?: boolean;
}

/** Every edition's canary is its link 0, so the redirect knows a canary click from the token alone. */
export const CANARY_POSITION = 0;

export class LinkTracker {
  private readonly byTarget = new Map<string, TrackedLink>();
  /** The tracked URL of the hidden canary link (see insertCanary). */
  readonly canaryUrl: string;

  constructor(
    private readonly settings: ClickTrackingSettings,
    /** The per-reader marker the reader slot of the token is filled into (clickSlotMarker). */
    private readonly slotMarker: string,
    private readonly campaign: string,
    /** Where a click on the canary goes (a person who somehow reaches it lands on the web copy). */
    canaryTarget: string,
  ) {
    this.canaryUrl = this.track(canaryTarget, 'canary');
  }

  /** The tracked URL for `url`; the same target (and kind) always gets the same position. */
  track(url: string, kind: TrackedLinkKind): string {
    const target = kind === 'canary' ? url : withUtm(url, { hosts: this.settings.utmHosts, medium: 'email', campaign: this.campaign });
    const key = `${kind === 'canary' ? 'canary' : 'link'} ${target}`;
    let link = this.byTarget.get(key);
    if (!link) {
      link = { position: this.byTarget.size, url: target, kind };
      this.byTarget.set(key, link);
    }
    return `${this.settings.publicUrl}/l/${signClickLink(this.settings.secret, this.settings.dispatchId, link.position, target)}.${this.slotMarker}`;
  }

  links(): TrackedLink[] {
    return [...this.byTarget.values()];
  }
}

// Sanitised HTML (src/articles/sanitize.ts) escapes `<`, `>` and `"` inside attribute values, so `<a …>` is
// always a real tag here and ` href="…"` a real attribute of it.
const ANCHOR_HREF = /(<a\s[^>]*?\shref=|<a\shref=)"([^"]*)"/gi;

/** Every http(s) link of a sanitised body rewritten by `track`; mailto and anything else stays as it is. */
export function rewriteBodyLinks(sanitisedHtml: string, track: (url: string) => string): string {
  return sanitisedHtml.replace(ANCHOR_HREF, (whole, start: string, value: string) => {
    const url = decodeAttribute(value);
    if (!/^https?:\/\//i.test(url.trim())) return whole;
    let normalised: string;
    try {
      normalised = new URL(url.trim()).href;
    } catch {
      return whole;
    }
    return `${start}"${escapeHtml(track(normalised))}"`;
  });
}

/**
 * The hidden canary: a link no person sees or can reach by keyboard, placed first in the body. Scanners follow
 * every link, so a click on it marks that reader's whole click burst as a machine's.
 */
export function insertCanary(editionHtml: string, canaryUrl: string): string {
  const canary = `<a href="${escapeHtml(canaryUrl)}" class="herald-canary" tabindex="-1" aria-hidden="true" ` +
    'style="display:none;font-size:0;line-height:0;max-height:0;overflow:hidden;mso-hide:all;">&#8203;</a>';
  return editionHtml.replace(/<body\b[^>]*>/i, (body) => body + canary);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return ENTITIES[name.toLowerCase()] ?? entity;
  });
}

/**
 * The open pixel: a 1×1 GIF at the end of the body, hidden from screen readers, signed like the links (its reader
 * slot is the same marker). A mail app that blocks images never fetches it, so opens undercount as well as overcount.
 */
export function insertOpenPixel(editionHtml: string, pixelUrl: string): string {
  const pixel = `<img src="${escapeHtml(pixelUrl)}" class="herald-open" width="1" height="1" alt="" aria-hidden="true" ` +
    'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0;" />';
  return /<\/body>/i.test(editionHtml) ? editionHtml.replace(/<\/body>/i, (end) => pixel + end) : editionHtml + pixel;
}
