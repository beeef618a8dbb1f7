// The capture inbox (embedded mode): lists and shows the messages Herald "sent" when no SMTP_URL is configured.
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { listCapturedMessages } from '../../email/capture-inbox.js';
import { outboxDir } from '../../email/outbox-dir.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { decodeCursor, pageQuery, toPage } from '../pagination.js';
import { capturedMessage, errors, page } from '../api-schemas.js';

const fileParams = z.object({ file: z.string().regex(/^[\w.-]+\.eml$/, 'must be a message file name from the list') });
const listQuery = pageQuery(100, 1000);

export function outboxRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const dir = outboxDir(ctx.config.HERALD_DATA_DIR);
  const requireCaptureMode = () => {
    if (ctx.config.SMTP_URL) throw new HttpError(404, 'the capture inbox is off: mail goes to SMTP_URL');
  };

  app.get('/api/outbox', {
    schema: { tags: ['outbox'], summary: 'The capture inbox (embedded mode), newest first', querystring: listQuery, response: { 200: page('messages', capturedMessage), ...errors(400, 404) } },
  }, async (request) => {
    requireCaptureMode();
    const { limit, cursor } = parseInput(listQuery, request.query, 'query');
    const rows = await listCapturedMessages(dir, { limit: limit + 1, before: decodeCursor(cursor, 'string') });
    const page = toPage(rows, limit, (message) => message.file);
    return { messages: page.items, nextCursor: page.nextCursor };
  });

  app.get('/api/outbox/:file', {
    schema: { tags: ['outbox'], summary: 'One captured message', params: fileParams, response: { 200: { content: { 'message/rfc822': { schema: z.string() } } }, ...errors(400, 404) } },
  }, async (request, reply) => {
    requireCaptureMode();
    const { file } = parseInput(fileParams, request.params, 'path');
    const path = join(dir, file);
    if (!existsSync(path)) throw notFound('message');
    return reply.header('content-type', 'message/rfc822').send(createReadStream(path));
  });
}
