// The correction's text on each network: "Correction: …" shortened at a word to fit, and an edit only when it fits.
import { describe, expect, it } from 'vitest';
import { correctedPost, correctionReply } from '../../../src/social/correction-text.js';
import { measure } from '../../../src/social/length.js';

describe('correctionReply', () => {
  it('keeps a short note whole', () => {
    expect(correctionReply('x', 'It was Tuesday.')).toBe('Correction: It was Tuesday.');
  });

  it('shortens a long note at a word, with an ellipsis, within each network\'s count', () => {
    const note = 'The council voted 7 to 2, not 9 to 0, and the mayor abstained. '.repeat(8).trim();
    for (const network of ['x', 'bluesky', 'mastodon', 'facebook'] as const) {
      const text = correctionReply(network, note);
      expect(measure(network, text).fits, network).toBe(true);
      if (network === 'x' || network === 'bluesky') {
        expect(text, network).toMatch(/^Correction: The council .*[a-z0-9,.]…$/);
        expect(note.startsWith(text.slice('Correction: '.length, -1)), network).toBe(true);
      }
    }
  });

  it('counts CJK as X does (2 each)', () => {
    const text = correctionReply('x', '訂正'.repeat(200));
    expect(measure('x', text).fits).toBe(true);
    expect(measure('x', text).length).toBeGreaterThan(270);
  });
});

describe('correctedPost', () => {
  it('appends the correction to the post when both fit, and gives up when they do not', () => {
    expect(correctedPost('mastodon', 'Our story https://news.example.org/a', 'It was Tuesday.')).toBe(
      'Our story https://news.example.org/a\n\nCorrection: It was Tuesday.',
    );
    expect(correctedPost('mastodon', 'a'.repeat(480), 'It was Tuesday, not Monday.')).toBeUndefined();
  });
});
