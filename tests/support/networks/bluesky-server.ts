// A stand-in for a Bluesky PDS: XRPC sessions (create/refresh/get), uploadBlob, createRecord that checks post records
// (replies' strong refs too), getRecord, deleteRecord, and app.bsky.feed.getPosts (proxied to the app view by a real
// PDS) with the counts a test sets. Kept for what the real server (tests/support/networks/reference-pds.ts) cannot do
// on cue: 429s with ratelimit-reset, 5xx, requests never answered, access tokens expired now, sessions dropped, counted
// logins; and as the fourth network of the four-network pipeline and retraction tests. Its refusals use the PDS's wording.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { jsonBody, type RecordedRequest, StandIn } from './stand-in.js';

export interface BlueskyStandInOptions {
  handle: string;
  did: string;
  appPassword: string;
}

export interface StoredRecord {
  uri: string;
  rkey: string;
  cid: string;
  record: Record<string, any>;
}

interface Session {
  accessJwt: string;
  refreshJwt: string;
}

const XRPC = '/xrpc/';
const MAX_THUMB_BYTES = 1_000_000;

export class BlueskyStandIn extends StandIn {
  readonly records: StoredRecord[] = [];
  /** at:// uris of the records deleted through deleteRecord, in order. */
  readonly deletedUris: string[] = [];
  readonly blobs = new Map<string, { bytes: Buffer; mimeType: string }>();
  /** What app.bsky.feed.getPosts reports for a post (by at:// uri), set by the test (default all 0). */
  readonly counts = new Map<string, { likes: number; reposts: number; replies: number; quotes: number }>();
  private readonly accessTokens = new Map<string, 'valid' | 'expired'>();
  private readonly refreshTokens = new Set<string>();
  private lastTid = 0n;

  constructor(private readonly options: BlueskyStandInOptions) {
    super();
  }

  /** createSession calls received, failed ones included. */
  get logins(): number {
    return this.requestsTo(`${XRPC}com.atproto.server.createSession`).length;
  }

  /** Every access token issued so far now answers 400 ExpiredToken, as after its two-hour lifetime. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 'expired');
  }

  /** Forgets every session (an app password revoked and recreated, say): tokens and refresh tokens stop working. */
  revokeSessions(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const method = req.path.startsWith(XRPC) ? req.path.slice(XRPC.length) : '';
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    switch (method) {
      case 'com.atproto.server.createSession':
        return this.createSession(req, res);
      case 'com.atproto.server.refreshSession':
        if (!bearer || !this.refreshTokens.delete(bearer)) return this.xrpcError(res, 400, 'ExpiredToken', 'Token has been revoked');
        return this.send(res, 200, { ...this.identity(), ...this.issueSession(), active: true });
      case 'com.atproto.repo.getRecord':
        return this.getRecord(req, res);
      case 'com.atproto.server.getSession':
      case 'com.atproto.repo.uploadBlob':
      case 'com.atproto.repo.createRecord':
      case 'app.bsky.feed.getPosts':
      case 'com.atproto.repo.deleteRecord': {
        const state = bearer ? this.accessTokens.get(bearer) : undefined;
        if (state === 'expired') return this.xrpcError(res, 400, 'ExpiredToken', 'Token has expired');
        if (!state) return this.xrpcError(res, 401, 'AuthenticationRequired', 'Invalid token');
        if (method === 'com.atproto.server.getSession') {
          return this.send(res, 200, { ...this.identity(), email: 'desk@example.org', emailConfirmed: true, active: true });
        }
        if (method === 'com.atproto.repo.deleteRecord') return this.deleteRecord(req, res);
        if (method === 'app.bsky.feed.getPosts') return this.getPosts(req, res);
        return method === 'com.atproto.repo.uploadBlob' ? this.uploadBlob(req, res) : this.createRecord(req, res);
      }
      default:
        return this.xrpcError(res, 501, 'MethodNotImplemented', `Method Not Implemented: ${method || req.path}`);
    }
  }

  private createSession(req: RecordedRequest, res: ServerResponse): void {
    const body = jsonBody<{ identifier?: string; password?: string }>(req);
    const known = body?.identifier === this.options.handle || body?.identifier === this.options.did;
    if (!known || body?.password !== this.options.appPassword) {
      return this.xrpcError(res, 401, 'AuthenticationRequired', 'Invalid identifier or password');
    }
    this.send(res, 200, { ...this.identity(), ...this.issueSession(), email: 'desk@example.org', emailConfirmed: true, active: true });
  }

  private uploadBlob(req: RecordedRequest, res: ServerResponse): void {
    const mimeType = String(req.headers['content-type'] ?? 'application/octet-stream');
    const cid = cidFor(req.body, RAW_CODEC);
    this.blobs.set(cid, { bytes: req.body, mimeType });
    this.send(res, 200, { blob: { $type: 'blob', ref: { $link: cid }, mimeType, size: req.body.length } });
  }

  private createRecord(req: RecordedRequest, res: ServerResponse): void {
    const body = jsonBody<{ repo?: string; collection?: string; record?: Record<string, any> }>(req);
    if (body?.repo !== this.options.did && body?.repo !== this.options.handle) {
      return this.xrpcError(res, 400, 'InvalidRequest', `Invalid repo: ${body?.repo}`);
    }
    if (body?.collection !== 'app.bsky.feed.post') return this.xrpcError(res, 400, 'InvalidRequest', 'Unexpected collection');
    const problem = this.postProblem(body.record);
    if (problem) return this.xrpcError(res, 400, 'InvalidRequest', `Invalid app.bsky.feed.post record: ${problem}`);
    const rkey = this.nextTid();
    const uri = `at://${this.options.did}/app.bsky.feed.post/${rkey}`;
    const cid = cidFor(Buffer.from(JSON.stringify(body.record)), DAG_CBOR_CODEC);
    this.records.push({ uri, rkey, cid, record: body.record! });
    this.send(res, 200, { uri, cid, commit: { cid, rev: rkey }, validationStatus: 'valid' });
  }

  /** app.bsky.feed.getPosts?uris=…: a PostView per known uri (unknown ones are left out, as the app view does). */
  private getPosts(req: RecordedRequest, res: ServerResponse): void {
    const uris = req.query.getAll('uris');
    if (uris.length === 0 || uris.length > 25) return this.xrpcError(res, 400, 'InvalidRequest', 'uris must name 1 to 25 posts');
    const posts = this.records.filter((r) => uris.includes(r.uri)).map((r) => {
      const counts = this.counts.get(r.uri) ?? { likes: 0, reposts: 0, replies: 0, quotes: 0 };
      return {
        uri: r.uri,
        cid: r.cid,
        author: { did: this.options.did, handle: this.options.handle, displayName: 'Herald', labels: [], createdAt: '2024-01-01T00:00:00.000Z' },
        record: r.record,
        replyCount: counts.replies,
        repostCount: counts.reposts,
        likeCount: counts.likes,
        quoteCount: counts.quotes,
        indexedAt: new Date().toISOString(),
        labels: [],
      };
    });
    this.send(res, 200, { posts });
  }

  /** GET com.atproto.repo.getRecord?repo&collection&rkey (no auth needed): {uri, cid, value}, or RecordNotFound. */
  private getRecord(req: RecordedRequest, res: ServerResponse): void {
    const repo = req.query.get('repo');
    if (repo !== this.options.did && repo !== this.options.handle) return this.xrpcError(res, 400, 'InvalidRequest', `Could not find repo: ${repo}`);
    const uri = `at://${this.options.did}/${req.query.get('collection')}/${req.query.get('rkey')}`;
    const found = this.records.find((r) => r.uri === uri);
    if (!found) return this.xrpcError(res, 400, 'RecordNotFound', `Could not locate record: ${uri}`);
    this.send(res, 200, { uri: found.uri, cid: found.cid, value: found.record });
  }

  /** As a PDS: only in the account's own repo; a record that is not there is no error (the write is a no-op). */
  private deleteRecord(req: RecordedRequest, res: ServerResponse): void {
    const body = jsonBody<{ repo?: string; collection?: string; rkey?: string }>(req);
    if (body?.repo !== this.options.did && body?.repo !== this.options.handle) {
      return this.xrpcError(res, 400, 'InvalidRequest', `Invalid repo: ${body?.repo}`);
    }
    if (!body?.collection || !body.rkey) return this.xrpcError(res, 400, 'InvalidRequest', 'collection and rkey are required');
    const uri = `at://${this.options.did}/${body.collection}/${body.rkey}`;
    const at = this.records.findIndex((r) => r.uri === uri);
    if (at !== -1) {
      this.records.splice(at, 1);
      this.deletedUris.push(uri);
    }
    this.send(res, 200, { commit: { cid: cidFor(Buffer.from(uri), DAG_CBOR_CODEC), rev: this.nextTid() } });
  }

  /** The checks a PDS's lexicon validation makes on a post, plus facets that really cover their link's bytes. */
  private postProblem(record: Record<string, any> | undefined): string | undefined {
    if (!record || record.$type !== 'app.bsky.feed.post') return '$type must be app.bsky.feed.post';
    if (typeof record.text !== 'string') return 'text must be a string';
    const text = Buffer.from(record.text, 'utf8');
    const graphemes = [...new Intl.Segmenter().segment(record.text)].length;
    if (graphemes > 300) return `grapheme too big (maximum 300, got ${graphemes}) at $.record.text`;
    if (text.length > 3000) return `string too big (maximum 3000, got ${text.length}) at $.record.text`;
    if (typeof record.createdAt !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(record.createdAt)) {
      return 'createdAt must be a valid datetime';
    }
    if (record.langs !== undefined && (!Array.isArray(record.langs) || record.langs.length > 3)) return 'langs must be at most 3 languages';
    if (record.reply !== undefined) {
      // app.bsky.feed.post#replyRef: root and parent are com.atproto.repo.strongRef (uri + cid) of existing posts.
      for (const which of ['root', 'parent'] as const) {
        const ref = record.reply?.[which];
        if (typeof ref?.uri !== 'string' || typeof ref?.cid !== 'string') return `reply/${which} must be a strongRef with uri and cid`;
        if (!this.records.some((r) => r.uri === ref.uri && r.cid === ref.cid)) return `reply/${which} names no record ${ref.uri} at ${ref.cid}`;
      }
    }
    for (const [i, facet] of (record.facets ?? []).entries()) {
      const { byteStart, byteEnd } = facet?.index ?? {};
      if (!Number.isInteger(byteStart) || !Number.isInteger(byteEnd) || byteStart < 0 || byteEnd <= byteStart || byteEnd > text.length) {
        return `facets/${i}/index is out of the text's ${text.length} bytes`;
      }
      const covered = text.subarray(byteStart, byteEnd);
      const shown = covered.toString('utf8');
      if (!Buffer.from(shown, 'utf8').equals(covered)) return `facets/${i}/index splits a UTF-8 character`;
      for (const feature of facet.features ?? []) {
        if (feature.$type !== 'app.bsky.richtext.facet#link' || typeof feature.uri !== 'string') continue;
        if (feature.uri !== shown && feature.uri.replace(/^https?:\/\//, '') !== shown) {
          return `facets/${i} covers "${shown}", not its link ${feature.uri}`;
        }
      }
    }
    // app.bsky.feed.post#replyRef: strong refs to the root and the parent; a well-formed ref to a post that is not
    // there is accepted by a PDS too, but here the parent must be a live record with that cid (what a client would read).
    if (record.reply !== undefined) {
      for (const side of ['root', 'parent'] as const) {
        const ref = record.reply?.[side];
        if (typeof ref?.uri !== 'string' || !ref.uri.startsWith('at://') || typeof ref?.cid !== 'string') return `reply/${side} must be a strong ref`;
      }
      const parent = this.records.find((r) => r.uri === record.reply.parent.uri);
      if (!parent || parent.cid !== record.reply.parent.cid) return 'reply/parent does not name a live post by its cid';
    }
    const embed = record.embed;
    if (embed !== undefined) {
      if (embed.$type !== 'app.bsky.embed.external') return 'embed must be app.bsky.embed.external';
      const { uri, title, description, thumb } = embed.external ?? {};
      if (typeof uri !== 'string' || !URL.canParse(uri)) return 'embed/external/uri must be a URI';
      if (typeof title !== 'string' || typeof description !== 'string') return 'embed/external needs title and description';
      if (thumb !== undefined) {
        const blob = this.blobs.get(thumb?.ref?.$link);
        if (thumb.$type !== 'blob' || !blob) return 'embed/external/thumb must be an uploaded blob';
        if (!/^image\//.test(thumb.mimeType) || thumb.size !== blob.bytes.length || thumb.size > MAX_THUMB_BYTES) {
          return 'embed/external/thumb has the wrong mimeType or size';
        }
      }
    }
    return undefined;
  }

  private identity() {
    return { did: this.options.did, handle: this.options.handle };
  }

  private issueSession(): Session {
    const session = { accessJwt: `access-${randomBytes(12).toString('hex')}`, refreshJwt: `refresh-${randomBytes(12).toString('hex')}` };
    this.accessTokens.set(session.accessJwt, 'valid');
    this.refreshTokens.add(session.refreshJwt);
    return session;
  }

  /** A record key in TID form: 53 bits of microseconds and 10 bits of clock id, base32-sortable, 13 characters. */
  private nextTid(): string {
    let tid = (BigInt(Date.now()) * 1000n) << 10n;
    if (tid <= this.lastTid) tid = this.lastTid + 1n;
    this.lastTid = tid;
    const alphabet = '234567abcdefghijklmnopqrstuvwxyz';
    let out = '';
    for (let i = 12; i >= 0; i--) out += alphabet[Number((tid >> BigInt(i * 5)) & 31n)];
    return out;
  }

  private xrpcError(res: ServerResponse, status: number, error: string, message: string): void {
    this.send(res, status, { error, message });
  }
}

const RAW_CODEC = 0x55;
const DAG_CBOR_CODEC = 0x71;

/** A CIDv1 (sha2-256) in base32, as the client's lexicon validation requires a well-formed one. */
function cidFor(bytes: Buffer, codec: number): string {
  const digest = createHash('sha256').update(bytes).digest();
  const cid = Buffer.concat([Buffer.from([0x01, codec, 0x12, 0x20]), digest]);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = 'b';
  let value = 0;
  let bits = 0;
  for (const byte of cid) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
