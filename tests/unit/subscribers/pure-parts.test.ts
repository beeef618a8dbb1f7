// The pure pieces behind subscriber self-service: SNS string-to-sign, SES parsing, multipart fields, digest cron.
import { describe, expect, it } from 'vitest';
import { digestCronPatterns } from '../../../src/digest/digest-scheduler.js';
import { feedbackFromSes } from '../../../src/feedback/ses-notification.js';
import { snsStringToSign, type SnsMessage } from '../../../src/feedback/sns-message.js';
import { parseMultipartFields } from '../../../src/http/form-data.js';

const base = { MessageId: 'm1', TopicArn: 'arn:t', Message: 'hello', Timestamp: '2026-01-01T00:00:00.000Z', SignatureVersion: '2', Signature: 's', SigningCertURL: 'https://x' } as const;

describe('snsStringToSign', () => {
  it('lists the signed fields of a Notification in order, Subject only when present', () => {
    expect(snsStringToSign({ ...base, Type: 'Notification' } as SnsMessage)).toBe(
      'Message\nhello\nMessageId\nm1\nTimestamp\n2026-01-01T00:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n');
    expect(snsStringToSign({ ...base, Type: 'Notification', Subject: 'Hi' } as SnsMessage)).toContain('MessageId\nm1\nSubject\nHi\nTimestamp\n');
  });

  it('signs SubscribeURL and Token for a SubscriptionConfirmation', () => {
    const text = snsStringToSign({ ...base, Type: 'SubscriptionConfirmation', SubscribeURL: 'https://sub', Token: 'tok' } as SnsMessage);
    expect(text).toBe('Message\nhello\nMessageId\nm1\nSubscribeURL\nhttps://sub\nTimestamp\n2026-01-01T00:00:00.000Z\nToken\ntok\nTopicArn\narn:t\nType\nSubscriptionConfirmation\n');
  });
});

describe('feedbackFromSes', () => {
  it('reads every bounced recipient; only Permanent is permanent', () => {
    const feedback = feedbackFromSes({
      notificationType: 'Bounce',
      bounce: { bounceType: 'Undetermined', bouncedRecipients: [{ emailAddress: '"Jo" <Jo@Example.com>' }, { emailAddress: 'b@example.com' }, {}] },
    });
    expect(feedback.map((f) => [f.kind, f.email, f.permanent])).toEqual([['bounce', 'jo@example.com', false], ['bounce', 'b@example.com', false]]);
    expect(feedbackFromSes({ eventType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'c@example.com' }] } })[0].permanent).toBe(true);
  });

  it('reads complaints, and ignores deliveries and junk', () => {
    expect(feedbackFromSes({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'd@example.com' }] } }))
      .toMatchObject([{ kind: 'complaint', email: 'd@example.com' }]);
    // The message it is about, so the report can count the complaint against its edition.
    expect(feedbackFromSes({ notificationType: 'Complaint', mail: { messageId: '0100018c-abc' }, complaint: { complainedRecipients: [{ emailAddress: 'd@example.com' }] } }))
      .toMatchObject([{ kind: 'complaint', providerMessageId: '0100018c-abc' }]);
    expect(feedbackFromSes({ notificationType: 'Delivery', delivery: {} })).toEqual([]);
    expect(feedbackFromSes('nonsense')).toEqual([]);
  });
});

describe('parseMultipartFields', () => {
  it('reads text fields and skips files', () => {
    const body = '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n' +
      '--b\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n\r\nfile\r\n--b--\r\n';
    expect(parseMultipartFields(body, 'multipart/form-data; boundary=b')).toEqual({ 'List-Unsubscribe': 'One-Click' });
    expect(parseMultipartFields(body, 'multipart/form-data')).toBeUndefined();
  });
});

describe('digestCronPatterns', () => {
  it('turns DIGEST_TIME and DIGEST_WEEKDAY into cron patterns', () => {
    expect(digestCronPatterns('08:05', 'sunday')).toEqual({ daily: '5 8 * * *', weekly: '5 8 * * 0' });
    expect(digestCronPatterns('23:59', 'saturday').weekly).toBe('59 23 * * 6');
  });
});
