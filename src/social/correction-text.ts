// The text of a correction on a network: "Correction: …" as a reply, or the post's own text with it appended as an
// edit, each within the network's counting rule. Pure.
import type { Network } from './channel.js';
import { measure } from './length.js';

export const CORRECTION_PREFIX = 'Correction: ';

/** "Correction: <note>", the note shortened at a word (with "…") until it fits the network. */
export function correctionReply(network: Network, note: string): string {
  const whole = `${CORRECTION_PREFIX}${note.trim()}`;
  if (measure(network, whole).fits) return whole;
  const words = note.trim().split(/(\s+)/);
  while (words.length > 1) {
    words.pop();
    const text = `${CORRECTION_PREFIX}${words.join('').trimEnd()}…`;
    if (measure(network, text).fits) return text;
  }
  // One long word: cut by code points.
  const chars = [...note.trim()];
  while (chars.length > 0) {
    chars.pop();
    const text = `${CORRECTION_PREFIX}${chars.join('')}…`;
    if (measure(network, text).fits) return text;
  }
  return CORRECTION_PREFIX.trim();
}

/** The post's text with the correction appended, or undefined when the two do not fit in one post. */
export function correctedPost(network: Network, original: string, note: string): string | undefined {
  const text = `${original.trimEnd()}\n\n${CORRECTION_PREFIX}${note.trim()}`;
  return measure(network, text).fits ? text : undefined;
}
