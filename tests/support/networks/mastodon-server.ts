// A stand-in for a Mastodon instance: bearer tokens, Idempotency-Key replay, POST and DELETE /api/v1/statuses,
// GET /api/v2/instance.
import type { ServerResponse } from 'node:http';
import { jsonBody, type RecordedRequest, StandIn } from './stand-in.js';

export interface MastodonStatus {
  id: string;
  text: string;
  visibility: string;
  language: string | null;
  idempotencyKey?: string;
  /** in_reply_to_id: the status this one answers (a thread's previous part). */
  inReplyToId?: string;
}

export interface MastodonStandInOptions {
  accessToken: string;
  /** configuration.statuses.max_characters. Default 500. */
  maxCharacters?: number;
}

/** Mastodon counts any URL as 23 characters. */
const URL_LENGTH = 23;

export class MastodonStandIn extends StandIn {
  readonly statuses: MastodonStatus[] = [];
  /** Ids of the statuses deleted through the API, in order. */
  readonly deletedIds: string[] = [];
  /** Statuses ever created: ids are never reused after a delete, as on a real instance. */
  private created = 0;
  /** Mastodon keeps an Idempotency-Key (per token) for an hour and answers a repeat with the first status. */
  private readonly byKey = new Map<string, MastodonStatus>();

  constructor(private readonly options: MastodonStandInOptions) {
    super();
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'GET' && req.path === '/api/v2/instance') return this.instance(res);
    if (req.method === 'GET' && req.path === '/api/v1/accounts/verify_credentials') {
      if (req.headers.authorization !== `Bearer ${this.options.accessToken}`) {
        return this.send(res, 401, { error: 'The access token is invalid' });
      }
      return this.send(res, 200, { id: '1', username: 'herald', acct: 'herald', display_name: 'Herald', url: `${this.url}/@herald` });
    }
    if (req.method === 'POST' && req.path === '/api/v1/statuses') {
      if (req.headers.authorization !== `Bearer ${this.options.accessToken}`) {
        return this.send(res, 401, { error: 'The access token is invalid' });
      }
      return this.createStatus(req, res);
    }
    const statusPath = /^\/api\/v1\/statuses\/(\d+)$/.exec(req.path);
    if (req.method === 'DELETE' && statusPath) {
      if (req.headers.authorization !== `Bearer ${this.options.accessToken}`) {
        return this.send(res, 401, { error: 'The access token is invalid' });
      }
      return this.deleteStatus(statusPath[1]!, res);
    }
    this.send(res, 404, { error: 'Record not found' });
  }

  /** DELETE /api/v1/statuses/:id: the deleted status (with its source `text`, for "delete and redraft"); else 404. */
  private deleteStatus(id: string, res: ServerResponse): void {
    const at = this.statuses.findIndex((s) => s.id === id);
    if (at === -1) return this.send(res, 404, { error: 'Record not found' });
    const [status] = this.statuses.splice(at, 1);
    this.deletedIds.push(id);
    this.send(res, 200, { ...this.render(status!), text: status!.text });
  }

  private instance(res: ServerResponse): void {
    const host = new URL(this.url).host;
    this.send(res, 200, {
      domain: host,
      title: 'Herald test instance',
      version: '4.3.2',
      source_url: 'https://github.com/mastodon/mastodon',
      description: 'A Mastodon stand-in',
      usage: { users: { active_month: 1 } },
      thumbnail: { url: `${this.url}/thumbnail.png` },
      languages: ['en'],
      configuration: {
        urls: { streaming: `wss://${host}` },
        accounts: { max_featured_tags: 10 },
        statuses: {
          max_characters: this.options.maxCharacters ?? 500,
          max_media_attachments: 4,
          characters_reserved_per_url: URL_LENGTH,
        },
        media_attachments: { supported_mime_types: ['image/png', 'image/jpeg'] },
        polls: { max_options: 4 },
        translation: { enabled: false },
      },
      registrations: { enabled: false, approval_required: false, message: null },
      contact: { email: 'admin@example.org' },
      rules: [],
    });
  }

  private createStatus(req: RecordedRequest, res: ServerResponse): void {
    const key = req.headers['idempotency-key'];
    const remembered = typeof key === 'string' ? this.byKey.get(`${req.headers.authorization} ${key}`) : undefined;
    if (remembered) return this.send(res, 200, this.render(remembered));

    const body = jsonBody<{ status?: string; visibility?: string; language?: string; in_reply_to_id?: string }>(req) ?? {};
    const inReplyToId = body.in_reply_to_id ?? undefined;
    // As PostStatusService: a reply to a status that does not exist (or was deleted) is refused.
    if (inReplyToId !== undefined && !this.statuses.some((s) => s.id === inReplyToId)) return this.send(res, 404, { error: 'Record not found' });
    const text = body.status ?? '';
    if (!text.trim()) return this.send(res, 422, { error: "Validation failed: Text can't be blank" });
    const max = this.options.maxCharacters ?? 500;
    if ([...text.replace(/https?:\/\/\S+/g, 'x'.repeat(URL_LENGTH))].length > max) {
      return this.send(res, 422, { error: `Validation failed: Text character limit of ${max} exceeded` });
    }
    const status: MastodonStatus = {
      id: String(113_000_000_000_000_000n + BigInt(++this.created)),
      text,
      visibility: body.visibility ?? 'public',
      language: body.language ?? null,
      idempotencyKey: typeof key === 'string' ? key : undefined,
      ...(inReplyToId ? { inReplyToId } : {}),
    };
    this.statuses.push(status);
    if (typeof key === 'string') this.byKey.set(`${req.headers.authorization} ${key}`, status);
    this.send(res, 200, this.render(status));
  }

  private render(status: MastodonStatus): Record<string, unknown> {
    return {
      id: status.id,
      uri: `${this.url}/users/herald/statuses/${status.id}`,
      url: `${this.url}/@herald/${status.id}`,
      created_at: new Date().toISOString(),
      content: `<p>${status.text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`,
      visibility: status.visibility,
      language: status.language,
      in_reply_to_id: status.inReplyToId ?? null,
      sensitive: false,
      spoiler_text: '',
      media_attachments: [],
      mentions: [],
      tags: [],
      emojis: [],
      account: { id: '1', username: 'herald', acct: 'herald', url: `${this.url}/@herald` },
    };
  }
}
