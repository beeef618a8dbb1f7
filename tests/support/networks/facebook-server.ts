// A stand-in for the Graph API's Page feed: page token (bearer or access_token), appsecret_proof, Graph-style errors,
// DELETE /{post-id}, POST /{post-id}/comments, and GET /{post-id} with the reactions, comments and shares a test sets.
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, StandIn } from './stand-in.js';

export interface FacebookPagePost {
  id: string;
  message: string;
  link?: string;
}

export interface FacebookComment {
  id: string;
  /** The Page post commented on. */
  postId: string;
  message: string;
}

export interface FacebookStandInOptions {
  pageId: string;
  pageAccessToken: string;
  /** When set, every call must carry the matching appsecret_proof ("Require App Secret"). */
  appSecret?: string;
}

export class FacebookStandIn extends StandIn {
  readonly posts: FacebookPagePost[] = [];
  /** Ids of the posts deleted through the API, in order. */
  readonly deletedIds: string[] = [];
  /** What GET /{post-id}?fields=… reports for a post, set by the test (default all 0). */
  readonly counts = new Map<string, { reactions: number; comments: number; shares: number }>();

  /** Comments made through POST /{post-id}/comments, in order. */
  readonly comments: FacebookComment[] = [];
  /** Posts ever created: ids are never reused after a delete. */
  private created = 0;

  constructor(private readonly options: FacebookStandInOptions) {
    super();
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const feed = /^\/v\d+\.\d+\/([^/]+)\/feed$/.exec(req.path);
    const page = /^\/v\d+\.\d+\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && page) return this.readPage(req, res, decodeURIComponent(page[1]!));
    if (req.method === 'DELETE' && page) return this.deletePost(req, res, decodeURIComponent(page[1]!));
    const comments = /^\/v\d+\.\d+\/([^/]+)\/comments$/.exec(req.path);
    if (req.method === 'POST' && comments) return this.comment(req, res, decodeURIComponent(comments[1]!));
    if (req.method !== 'POST' || !feed) {
      return this.graphError(res, 400, 100, `Unknown path components: ${req.path}`, 'OAuthException');
    }
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(req.body.toString('utf8'))
      : new URLSearchParams();
    const param = (name: string) => form.get(name) ?? req.query.get(name) ?? undefined;
    // Graph takes the token as `access_token` or as an `OAuth`/`Bearer` authorization header.
    const token = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? param('access_token');
    // Graph answers a refused token with HTTP 400 and OAuthException 190, not with 401.
    if (token !== this.options.pageAccessToken) {
      return this.graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    }
    const { appSecret, pageId } = this.options;
    if (appSecret && param('appsecret_proof') !== createHmac('sha256', appSecret).update(token).digest('hex')) {
      return this.graphError(res, 400, 100, 'Invalid appsecret_proof provided in the API argument', 'GraphMethodException');
    }
    if (decodeURIComponent(feed[1]!) !== pageId) {
      return this.graphError(res, 400, 100, `Unsupported post request. Object with ID '${feed[1]}' does not exist`, 'GraphMethodException');
    }
    const message = param('message') ?? '';
    const link = param('link');
    if (!message && !link) return this.graphError(res, 400, 100, '(#100) Missing message or attachment', 'OAuthException');
    if (this.posts.some((p) => p.message === message && message)) {
      return this.graphError(res, 400, 506, '(#506) Duplicate status message', 'OAuthException');
    }
    const post = { id: `${pageId}_${1_000_000 + ++this.created}`, message, link };
    this.posts.push(post);
    this.send(res, 200, { id: post.id });
  }

  /** POST /{post-id}/comments with the Page token and `message`: `{id}` of the comment, `{post}_{comment}`. */
  private comment(req: RecordedRequest, res: ServerResponse, postId: string): void {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const token = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? form.get('access_token');
    if (token !== this.options.pageAccessToken) {
      return this.graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    }
    const { appSecret } = this.options;
    if (appSecret && form.get('appsecret_proof') !== createHmac('sha256', appSecret).update(token).digest('hex')) {
      return this.graphError(res, 400, 100, 'Invalid appsecret_proof provided in the API argument', 'GraphMethodException');
    }
    if (!this.posts.some((p) => p.id === postId)) {
      return this.graphError(res, 400, 100, `Unsupported post request. Object with ID '${postId}' does not exist`, 'GraphMethodException', { error_subcode: 33 });
    }
    const message = form.get('message') ?? '';
    if (!message) return this.graphError(res, 400, 100, '(#100) Missing message', 'OAuthException');
    const comment = { id: `${postId.split('_').pop()}_${2_000_000 + this.comments.length + 1}`, postId, message };
    this.comments.push(comment);
    this.send(res, 200, { id: comment.id });
  }

  /** DELETE /{post-id} with the Page token: `{success: true}`; an id that is not there, Graph's 100/33. */
  private deletePost(req: RecordedRequest, res: ServerResponse, id: string): void {
    const token = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? req.query.get('access_token');
    if (token !== this.options.pageAccessToken) {
      return this.graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    }
    const { appSecret } = this.options;
    if (appSecret && req.query.get('appsecret_proof') !== createHmac('sha256', appSecret).update(token).digest('hex')) {
      return this.graphError(res, 400, 100, 'Invalid appsecret_proof provided in the API argument', 'GraphMethodException');
    }
    const at = this.posts.findIndex((p) => p.id === id);
    if (at === -1) {
      return this.graphError(res, 400, 100, `Unsupported delete request. Object with ID '${id}' does not exist`, 'GraphMethodException', { error_subcode: 33 });
    }
    this.posts.splice(at, 1);
    this.deletedIds.push(id);
    this.send(res, 200, { success: true });
  }

  /** GET /{page-id}?fields=id,name with the Page token, as `herald doctor` reads it. */
  private readPage(req: RecordedRequest, res: ServerResponse, id: string): void {
    const token = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? req.query.get('access_token');
    if (token !== this.options.pageAccessToken) {
      return this.graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    }
    const post = this.posts.find((p) => p.id === id);
    if (post) return this.readPost(req, res, post);
    if (id !== this.options.pageId) {
      return this.graphError(res, 400, 100, `Unsupported get request. Object with ID '${id}' does not exist`, 'GraphMethodException');
    }
    this.send(res, 200, { id, name: 'Herald Test Page' });
  }

  /**
   * A Page post with the fields asked for, as Graph shapes them: `reactions.summary(total_count)` and
   * `comments.summary(total_count)` as edges with a summary, `shares` as `{count}` and left out when nobody shared.
   */
  private readPost(req: RecordedRequest, res: ServerResponse, post: FacebookPagePost): void {
    const { appSecret } = this.options;
    const token = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? req.query.get('access_token');
    if (appSecret && req.query.get('appsecret_proof') !== createHmac('sha256', appSecret).update(token ?? '').digest('hex')) {
      return this.graphError(res, 400, 100, 'Invalid appsecret_proof provided in the API argument', 'GraphMethodException');
    }
    const fields = req.query.get('fields') ?? '';
    const counts = this.counts.get(post.id) ?? { reactions: 0, comments: 0, shares: 0 };
    this.send(res, 200, {
      id: post.id,
      ...(fields.includes('reactions.summary') ? { reactions: { data: [], summary: { total_count: counts.reactions, viewer_reaction: 'NONE' } } } : {}),
      ...(fields.includes('comments.summary') ? { comments: { data: [], summary: { order: 'ranked', total_count: counts.comments, can_comment: true } } } : {}),
      ...(/(^|,)shares(,|$)/.test(fields) && counts.shares > 0 ? { shares: { count: counts.shares } } : {}),
    });
  }

  /** Graph's error envelope, as every failed call returns it. */
  graphError(res: ServerResponse, status: number, code: number, message: string, type: string, extra: object = {}): void {
    this.send(res, status, { error: { message, type, code, fbtrace_id: 'A1b2C3d4E5f', ...extra } });
  }
}
