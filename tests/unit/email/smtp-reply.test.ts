// The RFC 3463 reply classifier over real replies from the large mailbox providers: a reader is bounced only when
// the provider says the address does not exist, never for a policy block.
import { describe, expect, it } from 'vitest';
import { readSmtpReply, type ReplyVerdict } from '../../../src/email/smtp-reply.js';

/** [provider, basic code, the reply as the provider words it, verdict]. */
const REPLIES: [string, number, string, ReplyVerdict][] = [
  // Gmail
  ['Gmail', 550, "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550-5.1.1 unnecessary spaces. For more information, go to\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.12 - gsmtp", 'hard'],
  ['Gmail', 550, '550-5.2.1 The email account that you tried to reach is disabled. https://support.google.com/mail/?p=DisabledUser - gsmtp', 'hard'],
  ['Gmail', 552, "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please direct the recipient to\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm - gsmtp", 'soft'],
  ['Gmail', 452, "452-4.2.2 The recipient's inbox is out of storage space. Please direct the\n452 4.2.2  recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp", 'soft'],
  ['Gmail', 450, '450-4.2.1 The user you are trying to contact is receiving mail at a rate that\n450 4.2.1 prevents additional messages from being delivered. - gsmtp', 'soft'],
  ['Gmail', 421, '421-4.7.28 [203.0.113.5] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. - gsmtp', 'throttled'],
  ['Gmail', 550, '550-5.7.1 [203.0.113.5] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. - gsmtp', 'blocked'],
  ['Gmail', 550, '550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp', 'blocked'],
  ['Gmail', 550, "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy. - gsmtp", 'blocked'],
  ['Gmail', 552, '552-5.3.4 Your message exceeded Google\'s message size limits. - gsmtp', 'blocked'],
  ['Gmail', 451, '451-4.3.0 Mail server temporarily rejected message. - gsmtp', 'soft'],
  // Outlook / Microsoft 365
  ['Outlook', 550, '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'hard'],
  ['Outlook', 550, '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]', 'blocked'],
  ['Outlook', 550, "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", 'blocked'],
  ['Outlook', 550, '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.', 'blocked'],
  ['Outlook', 554, '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded', 'soft'],
  ['Outlook', 451, '451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (S77714)', 'throttled'],
  ['Outlook', 550, '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).', 'blocked'],
  // Yahoo / AOL
  ['Yahoo', 554, "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.ne1.yahoo.com", 'hard'],
  ['Yahoo', 554, '554 delivery error: dd Sorry, your message to someone@yahoo.com cannot be delivered. This account is over quota.', 'soft'],
  ['Yahoo', 421, '421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', 'throttled'],
  ['Yahoo', 553, "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.5, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes", 'blocked'],
  ['Yahoo', 554, '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', 'blocked'],
  ['Yahoo', 421, '421 Resources temporarily unavailable. Please try again later', 'throttled'],
  ['Yahoo', 553, '553 VS99-IP1 deferred', 'blocked'],
  // iCloud
  ['iCloud', 550, '550 5.1.1 <someone@icloud.com>: user does not exist', 'hard'],
  ['iCloud', 552, '552 5.2.2 <someone@icloud.com>: user is over quota', 'soft'],
  ['iCloud', 450, '450 4.2.2 <someone@icloud.com>: user is overquota', 'soft'],
  ['iCloud', 550, '550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', 'blocked'],
  ['iCloud', 550, '550 5.7.1 Your message was rejected due to example.org DMARC policy.', 'blocked'],
  ['iCloud', 421, '421 4.7.1 Messages to someone@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137', 'throttled'],
  // Servers that give no enhanced code
  ['Postfix', 550, '550 <someone@example.org>: Recipient address rejected: User unknown in virtual mailbox table', 'hard'],
  ['Exim', 550, '550 No such user here', 'hard'],
  ['qmail', 553, "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", 'blocked'],
  ['generic', 551, '551 User not local; please try <someone@example.net>', 'blocked'],
  ['generic', 554, '554 Transaction failed: spam message rejected', 'blocked'],
  ['generic', 452, '452 Mailbox busy, try later', 'soft'],
  ['generic', 451, 'Rate limit exceeded, slow down', 'throttled'],
];

describe('readSmtpReply', () => {
  it.each(REPLIES)('%s %i: %s → %s', (_provider, code, text, verdict) => {
    expect(readSmtpReply(code, text).verdict).toBe(verdict);
  });

  it('reads the enhanced code from a multi-line reply', () => {
    expect(readSmtpReply(550, '550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 gsmtp')).toEqual({
      verdict: 'hard', code: 550, enhanced: '5.1.1',
    });
  });

  it('trusts the enhanced code over a misleading basic code', () => {
    // A 550 whose enhanced code says policy is a block, however much it looks like a bounce.
    expect(readSmtpReply(550, '550 5.7.1 Recipient rejected').verdict).toBe('blocked');
    // A 5.1.8 is the *sender's* address: never the reader's fault.
    expect(readSmtpReply(553, '553 5.1.8 <news@herald.example>... Domain of sender address does not exist').verdict).toBe('blocked');
  });
});
