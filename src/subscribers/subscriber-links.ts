// The links Herald mails to a subscriber, and what a token from one of them turns out to be when it comes back.
import { randomBytes } from 'node:crypto';
import { signLinkToken, verifyLinkToken, type TokenClaims, type TokenPurpose } from './link-tokens.js';

/** How long a confirmation link (new subscription or new address) stays valid. */
export const CONFIRM_LINK_TTL_SECONDS = 7 * 24 * 3600;

export interface LinkSettings {
  publicUrl: string;
  secret: string;
}

/** Why a link cannot be used, in words a reader understands (mapped to a page by src/http/pages). */
export type LinkProblem = 'invalid' | 'expired' | 'used';

export type LinkCheck = { ok: true; claims: TokenClaims } | { ok: false; problem: LinkProblem };

export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

const expiresIn = (seconds: number, now = Date.now()) => Math.floor(now / 1000) + seconds;

export function unsubscribeUrl(settings: LinkSettings, subscriberId: number): string {
  return `${settings.publicUrl}/unsubscribe/${signLinkToken(settings.secret, { purpose: 'unsubscribe', subscriberId, expiresAt: 0 })}`;
}

/**
 * The unsubscribe token of one edition's message: the same link, with the edition signed in (the token's extra
 * value), so the report can count the unsubscribes that edition caused (footer link and one-click header alike).
 */
export function editionUnsubscribeToken(secret: string, subscriberId: number, dispatchId: number): string {
  return signLinkToken(secret, { purpose: 'unsubscribe', subscriberId, expiresAt: 0, extra: `d${dispatchId.toString(36)}` });
}

/** The edition an unsubscribe token came from (see editionUnsubscribeToken); undefined for any other. */
export function unsubscribeEdition(claims: TokenClaims): number | undefined {
  const match = /^d([0-9a-z]{1,11})$/.exec(claims.extra ?? '');
  return match ? parseInt(match[1]!, 36) : undefined;
}

export function preferencesUrl(settings: LinkSettings, subscriberId: number): string {
  return `${settings.publicUrl}/preferences/${signLinkToken(settings.secret, { purpose: 'preferences', subscriberId, expiresAt: 0 })}`;
}

export function confirmUrl(settings: LinkSettings, subscriberId: number, nonce: string): string {
  const token = signLinkToken(settings.secret, { purpose: 'confirm', subscriberId, expiresAt: expiresIn(CONFIRM_LINK_TTL_SECONDS), extra: nonce });
  return `${settings.publicUrl}/confirm/${token}`;
}

/** The new address rides in the signed token, so the link confirms exactly the address it was sent to. */
export function changeEmailUrl(settings: LinkSettings, subscriberId: number, nonce: string, newEmail: string): string {
  const token = signLinkToken(settings.secret, {
    purpose: 'change-email', subscriberId, expiresAt: expiresIn(CONFIRM_LINK_TTL_SECONDS), extra: `${nonce}:${newEmail}`,
  });
  return `${settings.publicUrl}/confirm-email/${token}`;
}

/** `secrets`: the current one first, then a previous one still accepted after a rotation. */
export function checkLink(secrets: string | readonly string[], token: string, purpose: TokenPurpose): LinkCheck {
  const verdict = verifyLinkToken(secrets, token, purpose);
  if (verdict.ok) return verdict;
  return { ok: false, problem: verdict.reason === 'expired' ? 'expired' : 'invalid' };
}

/** Splits a change-email token's extra value into the nonce and the new address. */
export function changeEmailClaims(extra: string | undefined): { nonce: string; newEmail: string } | undefined {
  const at = extra?.indexOf(':') ?? -1;
  if (!extra || at <= 0) return undefined;
  return { nonce: extra.slice(0, at), newEmail: extra.slice(at + 1) };
}
