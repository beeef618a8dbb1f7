// A stand-in for Amazon SES' v2 API (SendEmail with Content.Raw, GetAccount) that checks each request's SigV4
// signature against the test's static credentials and answers errors as SES does (x-amzn-ErrorType + JSON message).
import { createHash, createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { jsonBody, type RecordedRequest } from '../networks/stand-in.js';
import { EmailProviderStandIn } from './provider-stand-in.js';

export const SES_TEST_CREDENTIALS = { accessKeyId: 'AKIAHERALDTESTKEY000', secretAccessKey: 'herald-test-secret-key/0123456789abcdefABCD' };

const SEND_PATH = '/v2/email/outbound-emails';
const ACCOUNT_PATH = '/v2/email/account';
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export class SesStandIn extends EmailProviderStandIn {
  /** Why the last refused request's signature did not hold, for a failing test's message. */
  signatureProblems: string[] = [];

  constructor(private readonly region: string, private readonly credentials = SES_TEST_CREDENTIALS) {
    super();
  }

  /** An SES error as the service sends it: status, the error type header, `{"message"}`. */
  static error(status: number, type: string, message: string, headers: Record<string, string> = {}) {
    return {
      status,
      headers: { 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`, 'x-amzn-RequestId': 'stand-in', ...headers },
      body: { message },
    };
  }

  protected async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const problem = this.signatureProblem(req);
    if (problem) {
      this.signatureProblems.push(problem);
      const answer = SesStandIn.error(403, 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided. (${problem})`);
      return this.send(res, answer.status, answer.body, answer.headers);
    }
    if (req.method === 'GET' && req.path === ACCOUNT_PATH) {
      return this.send(res, 200, {
        DedicatedIpAutoWarmupEnabled: false, EnforcementStatus: 'HEALTHY', ProductionAccessEnabled: true,
        SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: this.accepted.length }, SendingEnabled: true,
      });
    }
    if (req.method === 'POST' && req.path === SEND_PATH) return this.sendEmail(req, res);
    const answer = SesStandIn.error(404, 'NotFoundException', `no route ${req.method} ${req.path}`);
    this.send(res, answer.status, answer.body, answer.headers);
  }

  private async sendEmail(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = jsonBody<{ FromEmailAddress?: string; Destination?: { ToAddresses?: string[] }; Content?: { Raw?: { Data?: string } } }>(req);
    const to = body?.Destination?.ToAddresses ?? [];
    const data = body?.Content?.Raw?.Data;
    if (!data || to.length === 0) {
      const answer = SesStandIn.error(400, 'BadRequestException', 'Raw message data and a destination are required');
      return this.send(res, answer.status, answer.body, answer.headers);
    }
    const refusal = this.judge(to[0]);
    if (refusal) {
      const answer = SesStandIn.error(refusal.status, refusal.error ?? 'BadRequestException', refusal.message, refusal.headers);
      return this.send(res, answer.status, answer.body, answer.headers);
    }
    const id = await this.accept(to, Buffer.from(data, 'base64'), (n) => `0102018c${String(n).padStart(8, '0')}-stand-in-000000`);
    this.send(res, 200, { MessageId: id });
  }

  /** Recomputes the SigV4 signature (canonical request → string to sign → HMAC chain); undefined when it holds. */
  private signatureProblem(req: RecordedRequest): string | undefined {
    const match = AUTHORIZATION.exec(String(req.headers.authorization ?? ''));
    if (!match) return `Authorization is not a SigV4 header: ${String(req.headers.authorization)}`;
    const [, accessKey, date, region, service, signedHeaders, signature] = match;
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date)) return `X-Amz-Date ${amzDate} does not match the scope ${date}`;
    if (accessKey !== this.credentials.accessKeyId) return `unknown access key ${accessKey}`;
    if (region !== this.region || service !== 'ses') return `scope ${region}/${service}, expected ${this.region}/ses`;
    const names = signedHeaders.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) return `SignedHeaders ${signedHeaders} leave out host or x-amz-date`;
    const canonicalHeaders = names.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const query = [...req.query.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(req.body));
    const canonicalRequest = [req.method, req.path, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${this.credentials.secretAccessKey}`, date), region), service), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
    return expected === signature ? undefined : 'signature mismatch';
  }
}
