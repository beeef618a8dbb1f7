// Click tokens: a genuine one names its dispatch, link, target and reader; anything forged, cut short or signed by
// another installation is refused (and so never redirects anywhere).
import { describe, expect, it } from 'vitest';
import { signClickLink, signReaderSlot, verifyClickToken } from '../../../src/analytics/click-tokens.js';

const SECRET = 'click-secret-0123456789abcdef0123456789';
const OTHER = 'other-installation-0123456789abcdef0123';
const sentAt = new Date('2026-12-01T10:00:00Z');
const token = (secret = SECRET, target = 'https://news.example.org/story?a=1&b=2') =>
  `${signClickLink(secret, 42, 3, target)}.${signReaderSlot(secret, 42, 9001, sentAt)}`;

describe('click tokens', () => {
  it('carry the dispatch, the link position, the target and the reader', () => {
    expect(verifyClickToken([SECRET], token())).toEqual({
      dispatchId: 42, position: 3, target: 'https://news.example.org/story?a=1&b=2', reader: { deliveryId: 9001, sentAt },
    });
    expect(verifyClickToken([SECRET], `${signClickLink(SECRET, 42, 3, 'https://x.example/')}.w`)).toMatchObject({ reader: null });
  });

  it('verify with the previous secret during a rotation', () => {
    expect(verifyClickToken([OTHER, SECRET], token(SECRET))).toMatchObject({ dispatchId: 42 });
  });

  it('refuse forged, truncated, re-targeted and other installations\' tokens', () => {
    const good = token();
    const parts = good.split('.');
    const evil = Buffer.from('https://evil.example/').toString('base64url');
    const cases = [
      good.slice(0, -1),
      good.slice(0, good.length - 8),
      parts.slice(0, 4).join('.'),
      parts.slice(0, 6).join('.'),
      [parts[0], parts[1], evil, ...parts.slice(3)].join('.'),
      [parts[0], '4', ...parts.slice(2)].join('.'),
      [...parts.slice(0, 4), (9002).toString(36), ...parts.slice(5)].join('.'),
      // A reader slot from another dispatch.
      `${parts.slice(0, 4).join('.')}.${signReaderSlot(SECRET, 43, 9001, sentAt)}`,
      token(OTHER),
      '',
      'w',
      `${parts.slice(0, 4).join('.')}.x`,
    ];
    for (const bad of cases) expect(verifyClickToken([SECRET], bad), bad).toBeUndefined();
  });

  it('never carry a target other than http(s)', () => {
    expect(verifyClickToken([SECRET], token(SECRET, 'javascript:alert(1)'))).toBeUndefined();
  });
});
