// Dashboard sign-ins: a random session id in a signed, HttpOnly, SameSite=Strict cookie; the session (which token,
// its CSRF secret) in Redis under a hash of the id, expiring after HERALD_SESSION_HOURS. Revoking the token ends it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie'; // its request.cookies / reply.setCookie types
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { TokenOwner } from '../../auth/api-tokens.js';
import type { Database } from '../../db/schema.js';

export const SESSION_COOKIE = 'herald_session';

export interface Session {
  tokenId: number;
  /** Sent back with every state-changing form and request (hidden field or X-CSRF-Token header). */
  csrf: string;
  createdAt: number;
}

export interface SignedIn {
  sessionId: string;
  session: Session;
  owner: TokenOwner;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request came with a valid dashboard session cookie. */
    dashboard?: SignedIn;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly db: Kysely<Database>,
    private readonly options: { keyPrefix: string; ttlSeconds: number; secureCookie: boolean },
  ) {}

  private key(sessionId: string): string {
    // Only a hash of the id is stored: a copy of Redis holds no usable session.
    return `${this.options.keyPrefix}:session:${digest(sessionId)}`;
  }

  async create(reply: FastifyReply, tokenId: number): Promise<void> {
    const sessionId = randomBytes(32).toString('base64url');
    const session: Session = { tokenId, csrf: randomBytes(24).toString('base64url'), createdAt: Date.now() };
    await this.redis.set(this.key(sessionId), JSON.stringify(session), 'EX', this.options.ttlSeconds);
    reply.setCookie(SESSION_COOKIE, sessionId, {
      signed: true,
      httpOnly: true,
      sameSite: 'strict',
      secure: this.options.secureCookie,
      path: '/',
      maxAge: this.options.ttlSeconds,
    });
  }

  /** The signed-in editor, or undefined (no cookie, bad signature, expired, or its token revoked). */
  async resolve(request: FastifyRequest): Promise<SignedIn | undefined> {
    if (request.dashboard) return request.dashboard;
    const raw = request.cookies?.[SESSION_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    const stored = await this.redis.get(this.key(unsigned.value));
    if (!stored) return undefined;
    const session = JSON.parse(stored) as Session;
    const token = await this.db
      .selectFrom('apiTokens')
      .select(['id', 'name', 'role'])
      .where('id', '=', session.tokenId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    if (!token) return undefined;
    request.dashboard = { sessionId: unsigned.value, session, owner: { id: token.id, name: token.name, role: token.role } };
    return request.dashboard;
  }

  async destroy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const signedIn = await this.resolve(request);
    if (signedIn) await this.redis.del(this.key(signedIn.sessionId));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}

export function sessionStore(ctx: { redis: Redis; redisPrefix: string; db: Kysely<Database>; config: { HERALD_SESSION_HOURS: number; PUBLIC_URL: string } }): SessionStore {
  return new SessionStore(ctx.redis, ctx.db, {
    keyPrefix: `${ctx.redisPrefix}:dashboard`,
    ttlSeconds: ctx.config.HERALD_SESSION_HOURS * 3600,
    secureCookie: ctx.config.PUBLIC_URL.startsWith('https://'),
  });
}
