// The signed token in every tracked link (PUBLIC_URL/l/<token>): it carries its own target, so the redirect needs no
// database read, and nobody without HERALD_SECRET can make Herald redirect anywhere else.
import { signature, signedByAny } from '../subscribers/link-tokens.js';

/**
 * A token is two signed parts joined by a dot:
 * - the link part, signed once when the edition is rendered: `dispatch.position.target.sig` (base 36, base 36,
 *   base64url of the URL), the same in every reader's copy;
 * - the reader slot, signed once per message: `delivery.sentAt.sig` (base 36), or `w` in the web copy and the
 *   preview (nobody's). Its signature covers the dispatch, so a slot cannot be moved to another edition's links.
 */
export interface ClickClaims {
  dispatchId: number;
  /** The link's place in the edition's link list (edition_links.position). */
  position: number;
  target: string;
  /** Null: clicked in the web copy, no reader. */
  reader: { deliveryId: number; sentAt: Date } | null;
}

/** The reader slot of copies nobody in particular reads (the web copy, an editor's preview). */
export const ANONYMOUS_CLICK_SLOT = 'w';

const linkBody = (dispatch36: string, position36: string, target64: string) => `click:${dispatch36}.${position36}.${target64}`;
const readerBody = (dispatch36: string, delivery36: string, sent36: string) => `click-reader:${dispatch36}.${delivery36}.${sent36}`;

/** The link part of a tracked link; the reader slot follows it after a dot. */
export function signClickLink(secret: string, dispatchId: number, position: number, target: string): string {
  const [d, p, t] = [dispatchId.toString(36), position.toString(36), Buffer.from(target).toString('base64url')];
  return `${d}.${p}.${t}.${signature(secret, linkBody(d, p, t))}`;
}

/** One message's reader slot: which delivery it was and when it was sent (for the burst rule). */
export function signReaderSlot(secret: string, dispatchId: number, deliveryId: number, sentAt: Date): string {
  const [d, r, s] = [dispatchId.toString(36), deliveryId.toString(36), Math.floor(sentAt.getTime() / 1000).toString(36)];
  return `${r}.${s}.${signature(secret, readerBody(d, r, s))}`;
}

const BASE36 = /^[0-9a-z]{1,11}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The claims of a genuine token; undefined for anything forged, truncated, signed elsewhere or not http(s). */
export function verifyClickToken(secrets: string | readonly string[], token: string): ClickClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 5 && parts.length !== 7) return undefined;
  const [d, p, t, linkSig, ...slot] = parts;
  if (!BASE36.test(d) || !BASE36.test(p) || !BASE64URL.test(t) || !signedByAny(secrets, linkBody(d, p, t), linkSig)) return undefined;
  const reader = verifyReaderSlot(secrets, d, slot);
  if (reader === undefined) return undefined;
  const target = Buffer.from(t, 'base64url').toString();
  // Signed by us, so this holds already; checked again so a future signing bug can never become an open redirect.
  if (!/^https?:\/\//i.test(target)) return undefined;
  return { dispatchId: parseInt(d, 36), position: parseInt(p, 36), target, reader };
}

/**
 * A reader slot's parts (after the link part) for the dispatch `dispatch36`: the reader, null for the anonymous slot,
 * undefined when forged. The open pixel (src/analytics/open-tokens.ts) carries the same slot as the links.
 */
export function verifyReaderSlot(secrets: string | readonly string[], dispatch36: string, slot: readonly string[]): ClickClaims['reader'] | undefined {
  if (slot.length === 1 && slot[0] === ANONYMOUS_CLICK_SLOT) return null;
  if (slot.length !== 3) return undefined;
  const [r, s, readerSig] = slot as [string, string, string];
  if (!BASE36.test(r) || !BASE36.test(s) || !signedByAny(secrets, readerBody(dispatch36, r, s), readerSig)) return undefined;
  return { deliveryId: parseInt(r, 36), sentAt: new Date(parseInt(s, 36) * 1000) };
}
