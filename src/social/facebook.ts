// Posts to a Facebook Page through the Graph API (POST /{version}/{page-id}/feed, POST /{post-id}/comments, DELETE /{post-id}) over fetch.
import { createHmac } from 'node:crypto';
import { type DeliveryFailure, UncertainOutcome } from '../delivery/failure.js';
import type { PostOptions, PostResult, SocialChannel, SocialPost } from './channel.js';
import { count, type Engagement } from './engagement.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, failureFromRefusal, failureFromTransportError } from './http-failure.js';

export interface FacebookSettings {
  pageId: string;
  /** A Page access token with pages_manage_posts (a long-lived one does not expire). */
  pageAccessToken: string;
  /** When set, every call carries `appsecret_proof`, as apps with "Require App Secret" demand. */
  appSecret?: string;
  /** Default https://graph.facebook.com; a test stand-in or proxy otherwise. */
  graphUrl?: string;
  /** Graph API version. Default v23.0. */
  graphVersion?: string;
  /** Per request; a post whose request times out is reported as UncertainOutcome. Default 30 000 ms. */
  timeoutMs?: number;
}

/** Graph error codes that mean "slow down": app (4), user (17), page (32), API-specific (613), page BUC (80001). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80001]);
/** Graph "unknown" and "service" errors: temporary by Meta's own documentation. */
const TRANSIENT_CODES = new Set([1, 2]);
/** Graph "Duplicate status message". */
const DUPLICATE_CODE = 506;
/**
 * Graph answers refused tokens (190, 102) and missing permissions (10, 200-299) with HTTP 400; they are reported as
 * 401/403 so a credential problem reads `{network}_401`/`_403` on every network.
 */
function effectiveStatus(status: number, code: number | undefined, subcode?: number): number {
  // "Object does not exist" (100/33): a post that is gone, as a 404 like the other networks say it.
  if (code === 100 && subcode === 33) return 404;
  if (code === 190 || code === 102) return 401;
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) return 403;
  return status;
}

interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_msg?: string;
}

export class FacebookPageChannel implements SocialChannel {
  readonly network = 'facebook' as const;
  readonly account: string;
  private readonly feedUrl: string;
  private readonly pageUrl: string;
  /** `https://graph.facebook.com/v23.0`: where object ids (a post's) are addressed. */
  private readonly graphRoot: string;
  /** Each request's own AbortSignal.timeout: a plain one handed to fetch survives a garbage collection. */
  private readonly timeoutMs: number;
  /** HMAC-SHA256 of the Page token under the app secret: the same for every call, so worked out once. */
  private readonly appSecretProof?: string;

  constructor(private readonly settings: FacebookSettings) {
    this.account = settings.pageId;
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (settings.appSecret) {
      this.appSecretProof = createHmac('sha256', settings.appSecret).update(settings.pageAccessToken).digest('hex');
    }
    const graph = (settings.graphUrl ?? 'https://graph.facebook.com').replace(/\/+$/, '');
    this.graphRoot = `${graph}/${settings.graphVersion ?? 'v23.0'}`;
    this.pageUrl = `${this.graphRoot}/${encodeURIComponent(settings.pageId)}`;
    this.feedUrl = `${this.pageUrl}/feed`;
  }

  /**
   * The image is not uploaded: with `link` set, Facebook builds the card from the article's Open Graph tags, and
   * a photo post would drop the link card. Graph honours no idempotency key, hence UncertainOutcome on a timeout.
   */
  async post(post: SocialPost, _options?: PostOptions): Promise<PostResult> {
    const { text, body } = await this.call('POST', this.feedUrl, { form: { message: post.text, link: post.link } });
    if (!body?.id) {
      throw new UncertainOutcome('facebook accepted the post but answered without an id', 'facebook_invalid_response', text.slice(0, 500));
    }
    const [pageId, postId] = body.id.includes('_') ? body.id.split('_', 2) : [this.settings.pageId, body.id];
    return { remoteId: body.id, remoteUrl: `https://www.facebook.com/${pageId}/posts/${postId}` };
  }

  /** Reads the Page with its token (GET /{page-id}?fields=id,name): token and Page id belong together. */
  async verify(): Promise<string> {
    const { body } = await this.call<{ name?: string }>('GET', this.pageUrl, { fields: 'id,name' });
    return body?.name ? `${body.name} (${body.id})` : (body?.id ?? this.settings.pageId);
  }

  /**
   * GET /{version}/{post-id}?fields=reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares
   * with the Page token (pages_read_engagement). Graph leaves `shares` out of a post nobody shared.
   */
  async engagement(remoteId: string): Promise<Engagement> {
    const { body } = await this.call<GraphPostMetrics>('GET', this.objectUrl(remoteId), {
      fields: 'reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares',
    });
    return {
      available: true,
      metrics: {
        reactions: count(body?.reactions?.summary?.total_count),
        comments: count(body?.comments?.summary?.total_count),
        shares: count(body?.shares?.count),
      },
    };
  }

  /** POST /{version}/{post-id}/comments with the Page token: a comment by the Page under its own post. */
  async reply(parentRemoteId: string, text: string, _options?: PostOptions): Promise<PostResult> {
    const answer = await this.call('POST', `${this.objectUrl(parentRemoteId)}/comments`, { form: { message: text } });
    const id = answer.body?.id;
    if (!id) throw new UncertainOutcome('facebook accepted the comment but answered without an id', 'facebook_invalid_response', answer.text.slice(0, 500));
    const [pageId, postId] = parentRemoteId.includes('_') ? parentRemoteId.split('_', 2) : [this.settings.pageId, parentRemoteId];
    const commentId = id.includes('_') ? id.split('_')[1] : id;
    return { remoteId: id, remoteUrl: `https://www.facebook.com/${pageId}/posts/${postId}?comment_id=${commentId}` };
  }

  /** DELETE /{version}/{post-id} with the Page token; Graph answers `{success: true}`. */
  async delete(remoteId: string): Promise<void> {
    await this.call('DELETE', this.objectUrl(remoteId));
  }

  private objectUrl(id: string): string {
    return `${this.graphRoot}/${encodeURIComponent(id)}`;
  }

  /**
   * One Graph request with the Page token and, when the app demands it, the proof: in the form of a POST, in the
   * query otherwise. Throws the classified refusal of a non-2xx answer; a request that failed on the way is
   * uncertain only for a POST (it may have landed), never for a read or a delete.
   */
  private async call<Body extends object = object>(
    method: 'GET' | 'POST' | 'DELETE',
    target: string,
    { form, fields }: { form?: Record<string, string>; fields?: string } = {},
  ): Promise<{ text: string; body: (Body & { id?: string; error?: GraphError }) | undefined }> {
    const url = new URL(target);
    const payload = form ? new URLSearchParams(form) : undefined;
    if (fields) url.searchParams.set('fields', fields);
    if (this.appSecretProof) (payload ?? url.searchParams).set('appsecret_proof', this.appSecretProof);
    let response: Response;
    let text = '';
    try {
      response = await fetch(url, {
        method,
        // A bearer header keeps the token out of URLs and proxy logs; Graph accepts it like `access_token`.
        headers: {
          authorization: `Bearer ${this.settings.pageAccessToken}`,
          ...(payload ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw failureFromTransportError('facebook', error, { mayHaveLanded: method === 'POST' });
    }
    const body = parseJson(text) as (Body & { id?: string; error?: GraphError }) | undefined;
    if (!response.ok) throw classifyGraphError(response.status, response.headers, body?.error);
    return { text, body };
  }
}

interface GraphPostMetrics {
  reactions?: { summary?: { total_count?: unknown } };
  comments?: { summary?: { total_count?: unknown } };
  shares?: { count?: unknown };
  error?: GraphError;
}

function parseJson(text: string): { id?: string; error?: GraphError } | undefined {
  try {
    return text ? (JSON.parse(text) as { id?: string; error?: GraphError }) : undefined;
  } catch {
    return undefined; // an HTML error page from a proxy: the status decides
  }
}

function classifyGraphError(status: number, headers: Headers, error: GraphError | undefined): DeliveryFailure {
  const message = error?.error_user_msg ?? error?.message ?? `HTTP ${status}`;
  const code = error?.code;
  return failureFromRefusal('facebook', {
    status: effectiveStatus(status, code, error?.error_subcode),
    message: code !== undefined ? `${message} (Graph code ${code}${error?.error_subcode ? `/${error.error_subcode}` : ''})` : message,
    rateLimited: code !== undefined && RATE_LIMIT_CODES.has(code),
    resetAt: regainAccessAt(headers),
    transient: error?.is_transient === true || (code !== undefined && TRANSIENT_CODES.has(code)),
    duplicate: code === DUPLICATE_CODE,
  });
}

/**
 * Facebook sends no reset header on 429; the Business Use Case header may carry `estimated_time_to_regain_access`
 * in minutes. Absent that, failureFromRefusal waits its default minute.
 */
function regainAccessAt(headers: Headers): Date | undefined {
  const raw = headers.get('x-business-use-case-usage');
  if (!raw) return undefined;
  try {
    const usage = JSON.parse(raw) as Record<string, { estimated_time_to_regain_access?: number }[]>;
    const minutes = Math.max(0, ...Object.values(usage).flat().map((u) => u.estimated_time_to_regain_access ?? 0));
    return minutes > 0 ? new Date(Date.now() + minutes * 60_000) : undefined;
  } catch {
    return undefined;
  }
}
