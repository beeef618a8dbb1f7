// Signed tokens for the links in every email (unsubscribe, preferences, confirm): no database lookup to verify,
// and nobody can forge one for another subscriber without HERALD_SECRET.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'unsubscribe' | 'preferences' | 'confirm' | 'change-email';

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  /** Seconds since the epoch; 0 = never expires (unsubscribe links must work in old mail). */
  expiresAt: number;
  /** Purpose-specific extra value (e.g. the new address for change-email), covered by the signature. */
  extra?: string;
}

export type TokenVerdict = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired' | 'wrong-purpose' };

const PURPOSE_CODES: Record<TokenPurpose, string> = { unsubscribe: 'u', preferences: 'p', confirm: 'c', 'change-email': 'e' };
const PURPOSES_BY_CODE = Object.fromEntries(Object.entries(PURPOSE_CODES).map(([k, v]) => [v, k])) as Record<string, TokenPurpose>;

/** The HMAC every Herald link token carries (truncated to 132 bits; base64url). Click tokens sign with it too. */
export function signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22);
}

/** Whether any of `secrets` (the current one, then HERALD_SECRET_PREVIOUS) gave `body` the signature `sig`. */
export function signedByAny(secrets: string | readonly string[], body: string, sig: string): boolean {
  const given = Buffer.from(sig);
  return (typeof secrets === 'string' ? [secrets] : secrets).some((secret) => {
    const wanted = Buffer.from(signature(secret, body));
    return wanted.length === given.length && timingSafeEqual(wanted, given);
  });
}

export function signLinkToken(secret: string, claims: TokenClaims): string {
  const extra = claims.extra ? Buffer.from(claims.extra).toString('base64url') : '';
  const body = `${PURPOSE_CODES[claims.purpose]}.${claims.subscriberId.toString(36)}.${claims.expiresAt.toString(36)}.${extra}`;
  return `${body}.${signature(secret, body)}`;
}

/** `secrets`: any of them may have signed the token (the current one, and HERALD_SECRET_PREVIOUS during a rotation). */
export function verifyLinkToken(
  secrets: string | readonly string[],
  token: string,
  expected: TokenPurpose,
  now: Date = new Date(),
): TokenVerdict {
  const parts = token.split('.');
  if (parts.length !== 5) return { ok: false, reason: 'malformed' };
  const [code, id36, exp36, extra, sig] = parts;
  const purpose = PURPOSES_BY_CODE[code];
  const subscriberId = parseInt(id36, 36);
  const expiresAt = parseInt(exp36, 36);
  if (!purpose || !Number.isSafeInteger(subscriberId) || !Number.isSafeInteger(expiresAt)) {
    return { ok: false, reason: 'malformed' };
  }
  if (!signedByAny(secrets, parts.slice(0, 4).join('.'), sig)) return { ok: false, reason: 'forged' };
  if (purpose !== expected) return { ok: false, reason: 'wrong-purpose' };
  if (expiresAt !== 0 && expiresAt * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: { purpose, subscriberId, expiresAt, ...(extra ? { extra: Buffer.from(extra, 'base64url').toString() } : {}) },
  };
}
