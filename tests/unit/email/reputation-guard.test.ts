// When the reputation guard stops a send: the share of blocked and hard-bounced emails against its two thresholds.
import { describe, expect, it } from 'vitest';
import { reputationVerdict } from '../../../src/email/reputation-guard.js';

const defaults = { earlyAttempts: 1000, earlyPercent: 5, percent: 2 };

describe('reputationVerdict', () => {
  it('lets a healthy send go on', () => {
    expect(reputationVerdict({ attempts: 1000, refused: 50 }, defaults)).toBeUndefined();
    expect(reputationVerdict({ attempts: 20_000, refused: 400 }, defaults)).toBeUndefined();
  });

  it('does not stop a send on its first few unlucky replies', () => {
    expect(reputationVerdict({ attempts: 3, refused: 2 }, defaults)).toBeUndefined();
    expect(reputationVerdict({ attempts: 40, refused: 5 }, defaults)).toBeUndefined();
  });

  it('stops at more than 5 % of the first 1,000 attempts', () => {
    expect(reputationVerdict({ attempts: 200, refused: 11 }, defaults)).toMatch(/11 of 200 emails blocked or hard-bounced/);
    expect(reputationVerdict({ attempts: 1000, refused: 51 }, defaults)).toBeDefined();
  });

  it('stops at more than 2 % overall after that', () => {
    expect(reputationVerdict({ attempts: 5000, refused: 101 }, defaults)).toMatch(/over 2 %/);
  });
});
