// A stand-in for Postmark's API: `POST /email/batch` (a JSON array of up to 500 messages as fields, answered one
// result per message) and `GET /server`, behind `X-Postmark-Server-Token`, answering errors with Postmark's ErrorCodes.
// Each accepted message is composed back into MIME, as Postmark would send it, so tests read it like any other.
import type { ServerResponse } from 'node:http';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { jsonBody, type RecordedRequest } from '../networks/stand-in.js';
import { EmailProviderStandIn } from './provider-stand-in.js';

interface PostmarkMessage {
  From?: string;
  To?: string;
  Subject?: string;
  HtmlBody?: string;
  TextBody?: string;
  Headers?: { Name: string; Value: string }[];
  MessageStream?: string;
}

export class PostmarkStandIn extends EmailProviderStandIn {
  /** Messages per batch call, in arrival order. */
  readonly batchSizes: number[] = [];
  /** The MessageStream of every message received. */
  readonly streams: string[] = [];

  constructor(private readonly token: string) {
    super();
  }

  protected async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    if (req.headers['x-postmark-server-token'] !== this.token) {
      return this.send(res, 401, { ErrorCode: 10, Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token.' });
    }
    if (req.method === 'GET' && req.path === '/server') {
      return this.send(res, 200, { ID: 4242, Name: 'Herald Newsletter', ApiTokens: [this.token], Color: 'blue', DeliveryType: 'Live' });
    }
    if (req.method !== 'POST' || req.path !== '/email/batch') return this.send(res, 404, { ErrorCode: 404, Message: 'Not found' });
    const messages = jsonBody<PostmarkMessage[]>(req);
    if (!Array.isArray(messages) || messages.length === 0) return this.send(res, 422, { ErrorCode: 402, Message: 'Received invalid JSON input.' });
    if (messages.length > 500) return this.send(res, 422, { ErrorCode: 300, Message: 'Too many messages in batch: the limit is 500.' });
    this.batchSizes.push(messages.length);
    const refusals = messages.map((m) => this.judge(addressOf(m.To ?? '')));
    const callRefusal = refusals.find((r) => r && r.status !== 200);
    if (callRefusal) return this.send(res, callRefusal.status, { ErrorCode: Number(callRefusal.error ?? 0), Message: callRefusal.message }, callRefusal.headers);
    const answers = [];
    for (const [i, m] of messages.entries()) {
      const refusal = refusals[i];
      this.streams.push(m.MessageStream ?? '');
      if (!m.From || !m.To || !m.Subject) {
        answers.push({ ErrorCode: 300, Message: 'Invalid email request: From, To and Subject are required.' });
      } else if (refusal) {
        answers.push({ ErrorCode: Number(refusal.error), Message: refusal.message, To: m.To });
      } else {
        const id = await this.accept([addressOf(m.To)], await compose(m), (n) => `b7bc2f4a-e38e-4336-af7d-${String(n).padStart(12, '0')}`);
        answers.push({ ErrorCode: 0, Message: 'OK', MessageID: id, SubmittedAt: new Date().toISOString(), To: m.To });
      }
    }
    this.send(res, 200, answers);
  }
}

/** `"Name" <a@b>` → a@b. */
function addressOf(to: string): string {
  return (/<([^>]+)>/.exec(to)?.[1] ?? to).trim().toLowerCase();
}

function compose(m: PostmarkMessage): Promise<Buffer> {
  const headers = (m.Headers ?? []).filter((h) => h.Name.toLowerCase() !== 'message-id');
  const messageId = m.Headers?.find((h) => h.Name.toLowerCase() === 'message-id')?.Value;
  return new MailComposer({
    from: m.From, to: m.To, subject: m.Subject, html: m.HtmlBody, text: m.TextBody, messageId,
    headers: headers.map((h) => ({ key: h.Name, value: h.Value, prepared: true })) as unknown as Record<string, string>,
  }).compile().build();
}
