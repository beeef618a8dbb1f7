// A stand-in for Amazon SNS over HTTPS on loopback: serves a signing certificate, records SubscribeURL visits, and
// signs messages the way SNS does (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) with a throwaway key.
import { sign } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { generate } from 'selfsigned';
import { snsStringToSign, type SnsMessage } from '../../../src/feedback/sns-message.js';
import { type RecordedRequest, StandIn } from '../networks/stand-in.js';

export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:herald-feedback';

export type UnsignedSnsMessage = Omit<SnsMessage, 'Signature' | 'SignatureVersion' | 'SigningCertURL'>;

export class SnsStandIn extends StandIn {
  private signingKey = '';
  private certificate = '';
  private counter = 0;
  /** The subject the signing certificate is issued to; SNS's own is sns.amazonaws.com. Set before start(). */
  commonName = 'sns.eu-west-1.amazonaws.com';

  /** Generates the signing key pair and certificate, then listens. */
  override async start(): Promise<this> {
    const now = Date.now();
    const pems = await generate([{ name: 'commonName', value: this.commonName }], {
      keySize: 2048, algorithm: 'sha256', notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + 86_400_000),
    });
    this.signingKey = pems.private;
    this.certificate = pems.cert;
    return super.start();
  }

  get certUrl(): string {
    return `${this.url}/SimpleNotificationService-test.pem`;
  }

  /** Signs the message as SNS would; `certUrl` lets a test point at a certificate elsewhere. */
  signed(message: UnsignedSnsMessage, version: '1' | '2' = '2', certUrl = this.certUrl): SnsMessage {
    const full = { ...message, SignatureVersion: version, SigningCertURL: certUrl } as SnsMessage;
    const signature = sign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256', Buffer.from(snsStringToSign(full)), this.signingKey);
    return { ...full, Signature: signature.toString('base64') };
  }

  /** A Notification carrying an SES event (the JSON SES puts into Message). */
  notification(ses: Record<string, unknown>, version: '1' | '2' = '2'): SnsMessage {
    return this.signed({
      Type: 'Notification', MessageId: `msg-${++this.counter}`, TopicArn: TOPIC_ARN, Message: JSON.stringify(ses),
      Timestamp: new Date().toISOString(),
    }, version);
  }

  subscriptionConfirmation(): SnsMessage {
    const token = `token-${++this.counter}`;
    return this.signed({
      Type: 'SubscriptionConfirmation', MessageId: `msg-${this.counter}`, TopicArn: TOPIC_ARN, Token: token,
      Message: `You have chosen to subscribe to the topic ${TOPIC_ARN}.`, Timestamp: new Date().toISOString(),
      SubscribeURL: `${this.url}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC_ARN)}&Token=${token}`,
    });
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.path === '/SimpleNotificationService-test.pem') {
      this.send(res, 200, this.certificate, { 'content-type': 'application/x-pem-file' });
    } else if (req.query.get('Action') === 'ConfirmSubscription') {
      this.send(res, 200, '<ConfirmSubscriptionResponse/>', { 'content-type': 'text/xml' });
    } else {
      this.send(res, 404, 'not found');
    }
  }
}

/** SES bounce / complaint payloads as SES publishes them to SNS. */
export const ses = {
  bounce: (email: string, bounceType: 'Permanent' | 'Transient' | 'Undetermined') => ({
    notificationType: 'Bounce',
    bounce: { bounceType, bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull', feedbackId: 'fb-1',
      bouncedRecipients: [{ emailAddress: email, action: 'failed', status: '5.1.1' }] },
    mail: { messageId: 'ses-1', destination: [email] },
  }),
  complaint: (email: string) => ({
    notificationType: 'Complaint',
    complaint: { complaintFeedbackType: 'abuse', feedbackId: 'fb-2', complainedRecipients: [{ emailAddress: email }] },
    mail: { messageId: 'ses-2', destination: [email] },
  }),
};
