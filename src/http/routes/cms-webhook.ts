// POST /webhooks/cms: a CMS announces a published post, or one it took back (unpublished, deleted, trashed). The raw
// body must carry an HMAC-SHA256 signature keyed with CMS_WEBHOOK_SECRET; a post then goes through the same
// validation, sanitising and publishing as the editor API, and a withdrawn one through the same retraction.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { articleInput } from '../../articles/article-input.js';
import { findArticleByExternalId } from '../../articles/article-repository.js';
import { articleFromCms, type CmsArticle } from '../../articles/cms-payload.js';
import type { HeraldContext } from '../../context.js';
import { HttpError, parseInput } from '../errors.js';

/**
 * Accepted signature headers, all hex HMAC-SHA256: `X-Herald-Signature` and `X-Hub-Signature-256`
 * (`sha256=<hex>` of the body), and Ghost's own `X-Ghost-Signature` (`sha256=<hex>, t=<ms>`, of body + t).
 */
/** A signature whose timestamp is further off than this is a replay (or a badly wrong clock). */
const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

export function verifyCmsSignature(raw: Buffer, headers: FastifyRequest['headers'], secret: string, now = Date.now()): boolean {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const sign = (...parts: (Buffer | string)[]) => {
    const hmac = createHmac('sha256', secret);
    for (const part of parts) hmac.update(part);
    return hmac.digest();
  };
  const matches = (given: string | undefined, expected: Buffer) => {
    const hex = /^(?:sha256=)?([0-9a-f]{64})$/i.exec(given?.trim() ?? '')?.[1];
    return !!hex && timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  };
  const plain = header('x-herald-signature') ?? header('x-hub-signature-256');
  if (plain !== undefined) return matches(plain, sign(raw));
  const ghost = /^sha256=([0-9a-f]{64}),\s*t=(\d+)$/i.exec(header('x-ghost-signature')?.trim() ?? '');
  return !!ghost && Math.abs(now - Number(ghost[2])) <= MAX_SIGNATURE_AGE_MS && matches(ghost[1], sign(raw, ghost[2]));
}

/** A post the CMS took back: its article, if Herald has it, is retracted with the CMS's reason. */
async function withdraw(ctx: HeraldContext, log: Logger, post: Extract<CmsArticle, { kind: 'withdrawn' }>) {
  const article = await findArticleByExternalId(ctx.db, post.externalId);
  if (!article) {
    log.info({ event: 'webhook.cms.ignored', source: post.source, externalId: post.externalId }, 'withdrawn post Herald never had');
    return { status: 'ignored', reason: `no article ${post.externalId} to retract` };
  }
  const outcome = await ctx.editorial.retract(article.id, post.reason, `cms:${post.source}`);
  log.info({ event: 'webhook.cms.retracted', source: post.source, articleId: article.id, outcome: outcome.kind }, 'CMS post withdrawn');
  return { status: outcome.kind, articleId: article.id, reason: post.reason };
}

export function cmsWebhookRoutes(ctx: HeraldContext) {
  const log = ctx.log.child({ component: 'webhooks' });
  return async function registerCmsWebhook(app: FastifyInstance) {
    // Only in this plugin: JSON arrives as the raw bytes, since the signature is over exactly those.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    app.post('/webhooks/cms', async (request, reply) => {
      const secret = ctx.config.CMS_WEBHOOK_SECRET;
      if (!secret) throw new HttpError(404, 'the CMS webhook is off (set CMS_WEBHOOK_SECRET)');
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from(typeof request.body === 'string' ? request.body : '');
      if (!verifyCmsSignature(raw, request.headers, secret)) {
        log.warn({ event: 'webhook.cms.bad_signature', ip: request.ip }, 'CMS webhook with a missing or wrong signature');
        throw new HttpError(401, 'missing or wrong signature (X-Herald-Signature: sha256=<HMAC-SHA256 of the body>)');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, 'body is not JSON');
      }
      const post = articleFromCms(body);
      if (post.kind === 'unrecognised') throw new HttpError(400, 'not a Ghost or WordPress post payload, nor a Herald article');
      if (post.kind === 'ignored') {
        log.info({ event: 'webhook.cms.ignored', source: post.source, reason: post.reason }, 'CMS webhook ignored');
        return { status: 'ignored', reason: post.reason };
      }
      if (post.kind === 'withdrawn') return withdraw(ctx, log, post);
      const input = parseInput(articleInput, post.payload);
      const outcome = await ctx.editorial.publish(input, `cms:${post.source}`);
      const created = outcome.kind === 'published';
      log.info({ event: 'webhook.cms.published', source: post.source, articleId: outcome.article.id, created }, 'CMS post received');
      return reply
        .code(created ? 201 : 200)
        .send({ status: outcome.kind, article: outcome.article, dispatch: created ? outcome.dispatch : null });
    });
  };
}
