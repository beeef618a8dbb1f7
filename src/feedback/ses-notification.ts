// Turns an Amazon SES bounce or complaint notification (the Message inside an SNS Notification) into mailbox
// feedback, one entry per recipient. Pure: no I/O.
import type { MailboxFeedback } from '../subscribers/status-changes.js';

interface SesRecipient {
  emailAddress?: unknown;
}

interface SesNotification {
  notificationType?: string;
  /** SES event publishing (configuration sets) says eventType instead. */
  eventType?: string;
  bounce?: { bounceType?: string; bounceSubType?: string; feedbackId?: string; bouncedRecipients?: SesRecipient[] };
  complaint?: { complaintFeedbackType?: string; feedbackId?: string; complainedRecipients?: SesRecipient[] };
  /** The message it is about: SES's id for it, the one the send stored as provider_message_id. */
  mail?: { messageId?: unknown };
}

/** SES may give `"Name" <a@b>`; the address alone is what subscribers are keyed by. */
function addressOf(recipient: SesRecipient): string | undefined {
  if (typeof recipient.emailAddress !== 'string') return undefined;
  const match = /<([^>]+)>/.exec(recipient.emailAddress);
  const address = (match ? match[1] : recipient.emailAddress).trim().toLowerCase();
  return address.includes('@') ? address : undefined;
}

export function feedbackFromSes(payload: unknown): MailboxFeedback[] {
  if (!payload || typeof payload !== 'object') return [];
  const notification = payload as SesNotification;
  const type = notification.notificationType ?? notification.eventType;
  const providerMessageId = typeof notification.mail?.messageId === 'string' ? { providerMessageId: notification.mail.messageId } : {};
  if (type === 'Bounce' && notification.bounce) {
    const { bounceType, bounceSubType, feedbackId } = notification.bounce;
    // Only a Permanent bounce says the address does not exist; Transient and Undetermined may clear up.
    const permanent = bounceType === 'Permanent';
    return (notification.bounce.bouncedRecipients ?? []).flatMap((r) => {
      const email = addressOf(r);
      return email ? [{ kind: 'bounce' as const, email, permanent, source: 'ses', ...providerMessageId, detail: { bounceType, bounceSubType, feedbackId } }] : [];
    });
  }
  if (type === 'Complaint' && notification.complaint) {
    const { complaintFeedbackType, feedbackId } = notification.complaint;
    return (notification.complaint.complainedRecipients ?? []).flatMap((r) => {
      const email = addressOf(r);
      return email ? [{ kind: 'complaint' as const, email, source: 'ses', ...providerMessageId, detail: { complaintFeedbackType, feedbackId } }] : [];
    });
  }
  return [];
}
