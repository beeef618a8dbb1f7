// Reads an SMTP reply the way mailbox providers mean it: the RFC 3463 enhanced status code first, the basic code
// second, the text only where neither says enough. Pure: no I/O, unit-tested over real provider replies.

/**
 * - `hard`: the address does not take mail (bad mailbox, no such user): the reader is bounced.
 * - `soft`: the mailbox cannot take it now (full, greylisted, busy): retried, counted as a soft bounce if it ends so.
 * - `blocked`: refused for the sender's or the message's sake (policy, spam, authentication, DMARC, routing):
 *   the delivery fails as `blocked`, the reader stays confirmed.
 * - `throttled`: the server wants us to slow down: the reader's provider group waits (src/email/pacing).
 */
export type ReplyVerdict = 'hard' | 'soft' | 'blocked' | 'throttled';

export interface ReadReply {
  verdict: ReplyVerdict;
  /** The basic reply code, e.g. 550. */
  code: number;
  /** The enhanced status code when the reply has one, e.g. `5.1.1`. */
  enhanced?: string;
}

// `550-5.1.1 ...`, `550 5.1.10 ...`, `421-4.7.28 ...`: the enhanced code follows the basic one (RFC 2034).
const ENHANCED = /^\s*\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** "The address does not exist", in the words servers use when they give no enhanced code (or only x.0.0). */
const NO_SUCH_USER =
  /no such (user|mailbox|recipient|address|account)|user unknown|unknown (user|recipient|mailbox|address)|(user|mailbox|recipient|address|account) (does not|doesn't|not) exist|(user|mailbox|recipient) not found|doesn't have an? [\w.-]+ account|not a valid (mailbox|recipient|address)|invalid (mailbox|recipient)/i;

/** "The mailbox is full", when a 5xx reply says so without 5.2.2 (Yahoo's "554 ... This account is over quota"). */
const MAILBOX_FULL = /over ?quota|quota exceeded|mailbox (is )?full|out of storage|insufficient storage/i;

/** "Slow down", as servers word it; only read on 4xx replies that are not about one mailbox. */
const SLOW_DOWN = /rate.?limit|too many|too fast|slow down|throttl|unexpected volume|server busy|try again later/i;

/** Sender-side address problems (5.1.7 bad sender mailbox syntax, 5.1.8 bad sender system): never the reader's. */
const SENDER_ADDRESS_DETAILS = new Set([7, 8]);

export function readSmtpReply(code: number, text: string): ReadReply {
  const match = ENHANCED.exec(text);
  if (match) {
    const [klass, subject, detail] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const enhanced = `${klass}.${subject}.${detail}`;
    const verdict = fromEnhanced(code, klass, subject, detail, text);
    if (verdict) return { verdict, code, enhanced };
  }
  return { verdict: fromBasic(code, text), code, ...(match ? { enhanced: `${match[1]}.${match[2]}.${match[3]}` } : {}) };
}

function fromEnhanced(code: number, klass: number, subject: number, detail: number, text: string): ReplyVerdict | undefined {
  if (klass === 4) {
    // Per mailbox (4.2.x full, busy) stays with that reader; anything else that says "slow down" holds the queue.
    if (subject !== 1 && subject !== 2 && (code === 421 || SLOW_DOWN.test(text))) return 'throttled';
    return 'soft';
  }
  if (klass !== 5) return undefined;
  switch (subject) {
    case 1:
      return SENDER_ADDRESS_DETAILS.has(detail) ? 'blocked' : 'hard';
    case 2:
      // 5.2.1 "account disabled", 5.2.2 "mailbox full", 5.2.3 "message too large" (ours, not the reader's).
      if (detail === 2) return 'soft';
      if (detail === 1) return 'hard';
      if (detail === 3) return 'blocked';
      return 'soft';
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
      // x.y.0 says only "other": a "no such user" text then is more precise than the code (5.5.0 user unknown).
      if (detail === 0 && subject !== 7 && NO_SUCH_USER.test(text)) return 'hard';
      return 'blocked';
    default:
      // 5.0.0: nothing beyond the basic code; read that.
      return undefined;
  }
}

function fromBasic(code: number, text: string): ReplyVerdict {
  if (code >= 400 && code < 500) return code === 421 || SLOW_DOWN.test(text) ? 'throttled' : 'soft';
  if ([550, 551, 552, 553, 554].includes(code) && NO_SUCH_USER.test(text)) return 'hard';
  if (MAILBOX_FULL.test(text)) return 'soft';
  // 552 without more: "exceeded storage allocation" (RFC 5321), the mailbox is full.
  if (code === 552) return 'soft';
  // Any other 5xx without words for a missing mailbox: a refusal, and no reason to blame the reader.
  return 'blocked';
}
