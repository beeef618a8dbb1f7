// The open pixel's signed path (PUBLIC_URL/o/<token>.gif): the edition part is signed at render time, the reader
// slot is the one the message's tracked links carry, so counting an open needs no database read.
import { signature, signedByAny } from '../subscribers/link-tokens.js';
import { verifyReaderSlot, type ClickClaims } from './click-tokens.js';

export interface OpenClaims {
  dispatchId: number;
  /** Null: the web copy or a preview, nobody's open (not counted). */
  reader: ClickClaims['reader'];
}

const pixelBody = (dispatch36: string) => `open:${dispatch36}`;
const BASE36 = /^[0-9a-z]{1,11}$/;

/** The edition part of the pixel's token (`dispatch.sig`); the reader slot follows it after a dot. */
export function signOpenPixel(secret: string, dispatchId: number): string {
  const d = dispatchId.toString(36);
  return `${d}.${signature(secret, pixelBody(d))}`;
}

/** The pixel's URL with the reader-slot marker the message fills (as in tracked links). */
export const openPixelUrl = (publicUrl: string, secret: string, dispatchId: number, slotMarker: string) =>
  `${publicUrl}/o/${signOpenPixel(secret, dispatchId)}.${slotMarker}.gif`;

/** The claims of a genuine token (without `.gif`); undefined for anything forged, truncated or signed elsewhere. */
export function verifyOpenToken(secrets: string | readonly string[], token: string): OpenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 && parts.length !== 5) return undefined;
  const [d, sig, ...slot] = parts as [string, string, ...string[]];
  if (!BASE36.test(d) || !signedByAny(secrets, pixelBody(d), sig)) return undefined;
  const reader = verifyReaderSlot(secrets, d, slot);
  if (reader === undefined) return undefined;
  return { dispatchId: parseInt(d, 36), reader };
}
