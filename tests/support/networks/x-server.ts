// A stand-in for X's API v2 over HTTPS: checks OAuth 1.0a HMAC-SHA1 signatures (RFC 5849) like X, records tweets (replies
// too) and media, deletes tweets, reads a tweet with the public_metrics a test sets.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import twitterText from 'twitter-text';
import { jsonBody, type RecordedRequest, StandIn } from './stand-in.js';

export interface XStandInCredentials {
  apiKey: string;
  apiSecret: string;
  accessToken: string;
  accessSecret: string;
  /** Also accepted: an OAuth 2.0 user token. */
  bearerToken?: string;
}

export interface XTweet {
  id: string;
  text: string;
  mediaIds: string[];
  /** `reply.in_reply_to_tweet_id`: the tweet this one answers (a correction, or a thread's previous part). */
  inReplyTo?: string;
}

export interface XMedia {
  id: string;
  mediaType: string;
  category?: string;
  totalBytes: number;
  bytes: Buffer;
  finalized: boolean;
  altText?: string;
}

const UNAUTHORIZED = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' };

/** RFC 3986 percent-encoding, as RFC 5849 §3.6 requires. */
export function oauthEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export class XStandIn extends StandIn {
  readonly tweets: XTweet[] = [];
  readonly media = new Map<string, XMedia>();
  /** Ids of the tweets deleted through the API, in order. */
  readonly deletedIds: string[] = [];
  /** Why each refused request was refused, e.g. `signature mismatch`. */
  readonly authFailures: string[] = [];
  /** What GET /2/tweets/:id?tweet.fields=public_metrics reports for a tweet, set by the test (default all 0). */
  readonly publicMetrics = new Map<string, { like_count: number; retweet_count: number; reply_count: number; quote_count: number }>();
  private readonly seenNonces = new Set<string>();
  private readonly replyAnswers: ({ status: number; body: unknown } | 'hang')[] = [];

  /**
   * The next tweet that is a reply (a thread's part 2 or later) gets this answer instead of being posted; `hang`:
   * it is read and never answered, so the client's timeout fires with the request sent.
   */
  answerNextReply(status: number | 'hang', body?: unknown): void {
    this.replyAnswers.push(status === 'hang' ? 'hang' : { status, body });
  }
  private nextId = 1_880_000_000_000_000_000n;

  constructor(tls: { key: string; cert: string }, private readonly credentials: XStandInCredentials) {
    super(tls);
  }

  protected async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const refusal = this.authenticate(req);
    if (refusal) {
      this.authFailures.push(refusal);
      return this.send(res, 401, UNAUTHORIZED, { 'content-type': 'application/problem+json' });
    }
    const upload = /^\/2\/media\/upload\/(\d+)\/(append|finalize)$/.exec(req.path);
    if (req.method === 'POST' && req.path === '/2/tweets') return this.createTweet(req, res);
    const tweetPath = /^\/2\/tweets\/(\d+)$/.exec(req.path);
    if (req.method === 'DELETE' && tweetPath) return this.deleteTweet(tweetPath[1]!, res);
    if (req.method === 'GET' && tweetPath) return this.readTweet(tweetPath[1]!, req, res);
    if (req.method === 'POST' && req.path === '/2/media/upload/initialize') return this.initialize(req, res);
    if (req.method === 'POST' && upload?.[2] === 'append') return this.append(upload[1]!, req, res);
    if (req.method === 'POST' && upload?.[2] === 'finalize') return this.finalize(upload[1]!, res);
    if (req.method === 'POST' && req.path === '/2/media/metadata') return this.metadata(req, res);
    if (req.method === 'GET' && req.path === '/2/users/me') {
      return this.send(res, 200, { data: { id: '1', name: 'Herald', username: 'herald' } });
    }
    this.send(res, 404, { title: 'Not Found Error', detail: `no route ${req.method} ${req.path}`, status: 404 });
  }

  private createTweet(req: RecordedRequest, res: ServerResponse): void {
    const body = jsonBody<{ text?: string; media?: { media_ids?: string[] }; reply?: { in_reply_to_tweet_id?: string } }>(req);
    if (!body?.text) return this.invalid(res, 'text is required');
    // X counts as twitter-text does (URLs 23, CJK and emoji 2) and refuses anything over 280.
    if (!twitterText.parseTweet(body.text).valid) return this.invalid(res, 'Your Tweet text is too long.');
    const inReplyTo = body.reply?.in_reply_to_tweet_id;
    const scripted = inReplyTo !== undefined ? this.replyAnswers.shift() : undefined;
    if (scripted === 'hang') return;
    if (scripted) return this.send(res, scripted.status, scripted.body);
    if (inReplyTo !== undefined && !this.tweets.some((t) => t.id === inReplyTo)) {
      return this.send(res, 403, {
        detail: 'You attempted to reply to a Tweet that is deleted or not visible to you.',
        type: 'about:blank',
        title: 'Forbidden',
        status: 403,
      });
    }
    const mediaIds = body.media?.media_ids ?? [];
    if (mediaIds.some((id) => !this.media.get(id)?.finalized)) return this.invalid(res, 'Your media IDs are invalid.');
    if (this.tweets.some((t) => t.text === body.text)) {
      return this.send(res, 403, {
        detail: 'You are not allowed to create a Tweet with duplicate content.',
        type: 'about:blank',
        title: 'Forbidden',
        status: 403,
      });
    }
    const tweet: XTweet = { id: this.newId(), text: body.text, mediaIds, ...(inReplyTo ? { inReplyTo } : {}) };
    this.tweets.push(tweet);
    this.send(res, 201, { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } });
  }

  /** GET /2/tweets/:id: the tweet, with public_metrics when tweet.fields asks for them. */
  private readTweet(id: string, req: RecordedRequest, res: ServerResponse): void {
    const tweet = this.tweets.find((t) => t.id === id);
    if (!tweet) {
      return this.send(res, 200, { errors: [{ value: id, detail: `Could not find tweet with id: [${id}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'id', resource_id: id, type: 'https://api.twitter.com/2/problems/resource-not-found' }] });
    }
    const fields = (req.query.get('tweet.fields') ?? '').split(',');
    const metrics = this.publicMetrics.get(id) ?? { like_count: 0, retweet_count: 0, reply_count: 0, quote_count: 0 };
    this.send(res, 200, {
      data: {
        id, text: tweet.text, edit_history_tweet_ids: [id],
        ...(fields.includes('public_metrics') ? { public_metrics: { ...metrics, bookmark_count: 0, impression_count: 0 } } : {}),
      },
    });
  }

  /** DELETE /2/tweets/:id: `{data: {deleted: true}}`; a tweet that is not there, X's 404 problem. */
  private deleteTweet(id: string, res: ServerResponse): void {
    const at = this.tweets.findIndex((t) => t.id === id);
    if (at === -1) {
      return this.send(res, 404, { title: 'Not Found Error', detail: `Could not find tweet with id: [${id}].`, type: 'https://api.twitter.com/2/problems/resource-not-found', status: 404 });
    }
    this.tweets.splice(at, 1);
    this.deletedIds.push(id);
    this.send(res, 200, { data: { deleted: true } });
  }

  private initialize(req: RecordedRequest, res: ServerResponse): void {
    const body = jsonBody<{ media_type?: string; total_bytes?: number; media_category?: string }>(req);
    if (!body?.media_type || !body.total_bytes) return this.invalid(res, 'media_type and total_bytes are required');
    const id = this.newId();
    this.media.set(id, {
      id,
      mediaType: body.media_type,
      category: body.media_category,
      totalBytes: body.total_bytes,
      bytes: Buffer.alloc(0),
      finalized: false,
    });
    this.send(res, 200, { data: { id, media_key: `3_${id}`, expires_after_secs: 86_400 } });
  }

  private append(id: string, req: RecordedRequest, res: ServerResponse): void {
    const media = this.media.get(id);
    if (!media) return this.invalid(res, 'unknown media id');
    const chunk = multipartFields(req).get('media');
    if (!chunk?.length) return this.invalid(res, 'media is required');
    media.bytes = Buffer.concat([media.bytes, chunk]);
    this.send(res, 200, { data: { expires_at: Date.now() + 86_400_000 } });
  }

  private finalize(id: string, res: ServerResponse): void {
    const media = this.media.get(id);
    if (!media || media.bytes.length !== media.totalBytes) return this.invalid(res, 'media is incomplete');
    media.finalized = true;
    this.send(res, 200, { data: { id, media_key: `3_${id}`, size: media.totalBytes, expires_after_secs: 86_400 } });
  }

  private metadata(req: RecordedRequest, res: ServerResponse): void {
    const body = jsonBody<{ id?: string; metadata?: { alt_text?: { text?: string } } }>(req);
    const media = body?.id ? this.media.get(body.id) : undefined;
    if (!media) return this.invalid(res, 'unknown media id');
    media.altText = body?.metadata?.alt_text?.text;
    this.send(res, 200, { data: { id: media.id, associated_metadata: body?.metadata ?? {} } });
  }

  private invalid(res: ServerResponse, detail: string): void {
    this.send(res, 400, { title: 'Invalid Request', detail, type: 'https://api.twitter.com/2/problems/invalid-request' });
  }

  private newId(): string {
    return String(this.nextId++);
  }

  /** Returns why the request is refused, or undefined when its credentials hold. */
  private authenticate(req: RecordedRequest): string | undefined {
    const header = req.headers.authorization ?? '';
    if (this.credentials.bearerToken && header === `Bearer ${this.credentials.bearerToken}`) return undefined;
    if (!header.startsWith('OAuth ')) return 'no OAuth header';
    const oauth = new Map<string, string>();
    for (const [, key, value] of header.slice(6).matchAll(/([\w-]+)="([^"]*)"/g)) {
      oauth.set(decodeURIComponent(key!), decodeURIComponent(value!));
    }
    const { apiKey, apiSecret, accessToken, accessSecret } = this.credentials;
    if (oauth.get('oauth_consumer_key') !== apiKey) return 'unknown consumer key';
    if (oauth.get('oauth_token') !== accessToken) return 'unknown token';
    if (oauth.get('oauth_signature_method') !== 'HMAC-SHA1') return 'unsupported signature method';
    if (Math.abs(Date.now() / 1000 - Number(oauth.get('oauth_timestamp'))) > 300) return 'stale timestamp';

    // §3.4.1.3: oauth_* (minus signature and realm) + query + form-urlencoded body, encoded then sorted.
    const pairs: [string, string][] = [...oauth].filter(([k]) => k !== 'oauth_signature' && k !== 'realm');
    pairs.push(...req.query.entries());
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      pairs.push(...new URLSearchParams(req.body.toString('utf8')).entries());
    }
    const byNameThenValue = (a: string[], b: string[]) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : 1);
    const normalized = pairs
      .map(([k, v]) => [oauthEncode(k), oauthEncode(v)])
      .sort(byNameThenValue)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    // §3.4.1.2: scheme and host in lower case, the port only when it is not the default.
    const host = String(req.headers.host ?? '').toLowerCase().replace(/:443$/, '');
    const baseString = [req.method.toUpperCase(), oauthEncode(`https://${host}${req.path}`), oauthEncode(normalized)].join('&');
    const expected = createHmac('sha1', `${oauthEncode(apiSecret)}&${oauthEncode(accessSecret)}`).update(baseString).digest();
    const given = Buffer.from(oauth.get('oauth_signature') ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature mismatch';

    const nonce = oauth.get('oauth_nonce') ?? '';
    if (!nonce || this.seenNonces.has(nonce)) return 'nonce replayed';
    this.seenNonces.add(nonce);
    return undefined;
  }
}

/**
 * Multipart fields as raw bytes. twitter-api-v2 sends the media chunk without a filename, which makes WHATWG
 * FormData read it as text (mangling binary), so the parts are split by hand.
 */
function multipartFields(req: RecordedRequest): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  const boundary = /boundary=([^;]+)/.exec(String(req.headers['content-type'] ?? ''))?.[1];
  if (!boundary) return fields;
  const delimiter = Buffer.from(`--${boundary}`);
  let at = req.body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // past the delimiter and its CRLF
    const next = req.body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = req.body.subarray(start, next - 2); // minus the CRLF before the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(part.subarray(0, headerEnd).toString('utf8'))?.[1];
    if (name && headerEnd !== -1) fields.set(name, Buffer.from(part.subarray(headerEnd + 4)));
    at = next;
  }
  return fields;
}
