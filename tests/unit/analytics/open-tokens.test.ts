// Open-pixel tokens: a genuine one names its dispatch and reader (or nobody, in the web copy); anything forged, cut
// short, moved to another edition or signed by another installation is refused. And the edition in unsubscribe links.
import { describe, expect, it } from 'vitest';
import { signClickLink, signReaderSlot } from '../../../src/analytics/click-tokens.js';
import { openPixelUrl, signOpenPixel, verifyOpenToken } from '../../../src/analytics/open-tokens.js';
import { verifyLinkToken } from '../../../src/subscribers/link-tokens.js';
import { editionUnsubscribeToken, unsubscribeEdition } from '../../../src/subscribers/subscriber-links.js';

const SECRET = 'open-secret-0123456789abcdef0123456789ab';
const OTHER = 'other-installation-0123456789abcdef0123';
const sentAt = new Date('2026-12-01T10:00:00Z');
const token = (secret = SECRET, dispatchId = 42) => `${signOpenPixel(secret, dispatchId)}.${signReaderSlot(secret, dispatchId, 9001, sentAt)}`;

describe('open tokens', () => {
  it('carry the dispatch and the reader, or nobody for the anonymous slot', () => {
    expect(verifyOpenToken([SECRET], token())).toEqual({ dispatchId: 42, reader: { deliveryId: 9001, sentAt } });
    expect(verifyOpenToken([SECRET], `${signOpenPixel(SECRET, 42)}.w`)).toEqual({ dispatchId: 42, reader: null });
    expect(verifyOpenToken([OTHER, SECRET], token())).toMatchObject({ dispatchId: 42 });
    expect(openPixelUrl('https://news.example.org', SECRET, 42, '%%c.abc%%')).toBe(`https://news.example.org/o/${signOpenPixel(SECRET, 42)}.%%c.abc%%.gif`);
  });

  it('refuse forged, truncated, moved and other installations\' tokens', () => {
    const good = token();
    const [d, sig, ...slot] = good.split('.');
    const cases = [
      good.slice(0, -1),
      [d, sig].join('.'),
      [d, sig, slot[0], slot[1]].join('.'),
      // Another edition's reader slot under this edition's pixel, and the other way round.
      `${signOpenPixel(SECRET, 43)}.${slot.join('.')}`,
      [(43).toString(36), sig, ...slot].join('.'),
      token(OTHER),
      // A click link's part is not a pixel's.
      `${signClickLink(SECRET, 42, 0, 'https://x.example/')}.w`,
      '', 'nothing', `${d}.${sig}.x`,
    ];
    for (const candidate of cases) expect(verifyOpenToken([SECRET], candidate), candidate).toBeUndefined();
  });
});

describe('edition unsubscribe tokens', () => {
  it('are unsubscribe tokens that also name the edition', () => {
    const verdict = verifyLinkToken([SECRET], editionUnsubscribeToken(SECRET, 7, 1234), 'unsubscribe');
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.claims.subscriberId).toBe(7);
    expect(unsubscribeEdition(verdict.claims)).toBe(1234);
    expect(unsubscribeEdition({ purpose: 'unsubscribe', subscriberId: 7, expiresAt: 0 })).toBeUndefined();
    expect(unsubscribeEdition({ purpose: 'unsubscribe', subscriberId: 7, expiresAt: 0, extra: 'nonsense' })).toBeUndefined();
  });
});
