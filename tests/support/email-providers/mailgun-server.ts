// A stand-in for Mailgun's messages API: `POST /v3/{domain}/messages.mime` (multipart: `to` and the `message` file)
// and `GET /v3/domains/{domain}`, behind basic auth `api:KEY`, answering errors as Mailgun does.
import type { ServerResponse } from 'node:http';
import type { RecordedRequest } from '../networks/stand-in.js';
import { EmailProviderStandIn } from './provider-stand-in.js';

export class MailgunStandIn extends EmailProviderStandIn {
  constructor(private readonly domain: string, private readonly apiKey: string) {
    super();
  }

  protected async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Basic ${Buffer.from(`api:${this.apiKey}`).toString('base64')}`) {
      return this.send(res, 401, 'Forbidden');
    }
    const domainRoute = /^\/v3\/domains\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && domainRoute) {
      if (decodeURIComponent(domainRoute[1]) !== this.domain) return this.send(res, 404, { message: 'Domain not found' });
      return this.send(res, 200, {
        domain: { name: this.domain, state: 'active', type: 'custom', spam_action: 'disabled', created_at: 'Tue, 01 Dec 2026 09:00:00 GMT' },
        receiving_dns_records: [], sending_dns_records: [],
      });
    }
    const sendRoute = /^\/v3\/([^/]+)\/messages\.mime$/.exec(req.path);
    if (req.method !== 'POST' || !sendRoute) return this.send(res, 404, { message: 'Not Found' });
    if (decodeURIComponent(sendRoute[1]) !== this.domain) return this.send(res, 404, { message: `Domain not found: ${sendRoute[1]}` });
    const form = await new Response(req.body, { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData()
      .catch(() => undefined);
    const to = form?.get('to');
    const message = form?.get('message');
    if (typeof to !== 'string' || !to) return this.send(res, 400, { message: "'to' parameter is missing" });
    if (!(message instanceof Blob)) return this.send(res, 400, { message: "'message' parameter is missing" });
    const refusal = this.judge(to);
    if (refusal) return this.send(res, refusal.status, refusal.status === 401 ? refusal.message : { message: refusal.message }, refusal.headers);
    const id = await this.accept([to], Buffer.from(await message.arrayBuffer()), (n) => `<20261201143000.${n}.5F3A9C@${this.domain}>`);
    this.send(res, 200, { id, message: 'Queued. Thank you.' });
  }
}
