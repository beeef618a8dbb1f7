// The capture inbox (EMAIL_TRANSPORT=capture): lists and shows the messages Herald "sent" without a mail server.
// At /api/capture-inbox, and at /api/outbox, its first (documented) path, kept as an alias.
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { captureInboxDir, listCapturedMessages } from '../../email/capture-inbox.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { decodeCursor, pageQuery, toPage } from '../pagination.js';
import { capturedMessage, errors, page } from '../api-schemas.js';

export const CAPTURE_INBOX_PATH = '/api/capture-inbox';
/** The inbox's first path: README and API clients use it, so it answers as before. */
export const CAPTURE_INBOX_ALIAS = '/api/outbox';

const fileParams = z.object({ file: z.string().regex(/^[\w.-]+\.eml$/, 'must be a message file name from the list') });
const listQuery = pageQuery(100, 1000);

export function captureInboxRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const dir = captureInboxDir(ctx.config.HERALD_DATA_DIR);
  const requireCaptureMode = () => {
    if (ctx.config.EMAIL_TRANSPORT !== 'capture') throw new HttpError(404, `the capture inbox is off: mail goes to ${ctx.config.EMAIL_TRANSPORT}`);
  };

  for (const base of [CAPTURE_INBOX_PATH, CAPTURE_INBOX_ALIAS]) {
    const deprecated = base === CAPTURE_INBOX_ALIAS ? { deprecated: true, description: `Alias of ${CAPTURE_INBOX_PATH}.` } : {};
    app.get(base, {
      schema: { tags: ['capture inbox'], summary: 'The capture inbox (embedded mode), newest first', ...deprecated, querystring: listQuery, response: { 200: page('messages', capturedMessage), ...errors(400, 404) } },
    }, async (request) => {
      requireCaptureMode();
      const { limit, cursor } = parseInput(listQuery, request.query, 'query');
      const rows = await listCapturedMessages(dir, { limit: limit + 1, before: decodeCursor(cursor, 'string') });
      const page = toPage(rows, limit, (message) => message.file);
      return { messages: page.items, nextCursor: page.nextCursor };
    });

    app.get(`${base}/:file`, {
      schema: { tags: ['capture inbox'], summary: 'One captured message', ...deprecated, params: fileParams, response: { 200: { content: { 'message/rfc822': { schema: z.string() } } }, ...errors(400, 404) } },
    }, async (request, reply) => {
      requireCaptureMode();
      const { file } = parseInput(fileParams, request.params, 'path');
      const path = join(dir, file);
      if (!existsSync(path)) throw notFound('message');
      return reply.header('content-type', 'message/rfc822').send(createReadStream(path));
    });
  }
}
