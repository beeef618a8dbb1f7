// Editor API: add, list, import and export subscribers.
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { exportSubscribersCsv } from '../../subscribers/csv-export.js';
import { CsvHeaderError, importSubscribersCsv } from '../../subscribers/csv-import.js';
import { eraseSubscriber } from '../../subscribers/erasure.js';
import { editorSubscriberInput, subscriberStatus } from '../../subscribers/subscriber-input.js';
import { addSubscriber, DuplicateSubscriberError, listSubscribers } from '../../subscribers/subscriber-repository.js';
import { isSuppressed } from '../../subscribers/suppression.js';
import { subscriberHistory } from '../../subscribers/subscriber-history.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { decodeCursor, pageQuery, toPage } from '../pagination.js';
import { idParams } from './articles.js';
import { errors, importReport, noContent, page, subscriber } from '../api-schemas.js';

const listQuery = pageQuery(100, 1000).extend({
  status: subscriberStatus.optional(),
  q: z.string().trim().max(200).optional(),
});

const historyQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30).describe('how many days back, today included (UTC); default 30'),
});

const historyBody = z.object({
  days: z.array(z.object({
    date: z.string().describe('YYYY-MM-DD (UTC)'),
    confirmed: z.number().int().nonnegative(),
    unsubscribed: z.number().int().nonnegative(),
    bounced: z.number().int().nonnegative(),
    complained: z.number().int().nonnegative(),
  })).describe('every day, oldest first; readers whose status became each of these that day'),
}).meta({ id: 'SubscriberHistory' });

export function subscriberRoutes(app: FastifyInstance, ctx: HeraldContext) {
  // CSV bodies are streamed straight into the importer, never buffered whole.
  app.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));

  app.post('/api/subscribers', {
    schema: { tags: ['subscribers'], summary: 'Add a subscriber', body: editorSubscriberInput, response: { 201: subscriber, ...errors(400, 409) } },
  }, async (request, reply) => {
    const input = parseInput(editorSubscriberInput, request.body);
    if (await isSuppressed(ctx.db, ctx.secret, input.email)) {
      throw new HttpError(409, 'this address was erased and is on the suppression list; only the subscribe form can bring it back', [
        { path: 'email', message: 'suppressed' },
      ], 'suppressed');
    }
    try {
      return reply.code(201).send(await addSubscriber(ctx.db, input, 'editor'));
    } catch (error) {
      if (error instanceof DuplicateSubscriberError) {
        throw new HttpError(409, error.message, [{ path: 'email', message: 'already subscribed' }], 'duplicate');
      }
      throw error;
    }
  });

  // Erasure: personal data goes, a keyed hash stays on the suppression list (src/subscribers/erasure.ts).
  app.delete('/api/subscribers/:id', {
    schema: { tags: ['subscribers'], summary: 'Erase a subscriber (a keyed hash stays on the suppression list)', params: idParams, response: { 204: noContent, ...errors(400, 404) } },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const erased = await eraseSubscriber(ctx.db, ctx.secret, id, request.editor?.name ?? 'api');
    if (!erased) throw notFound('subscriber');
    return reply.code(204).send();
  });

  app.get('/api/subscribers/history', {
    schema: {
      tags: ['subscribers'],
      summary: 'Subscribers over time: confirmed, unsubscribed, bounced and complained per day',
      querystring: historyQuery,
      response: { 200: historyBody, ...errors(400) },
    },
  }, async (request) => {
    const { days } = parseInput(historyQuery, request.query, 'query');
    return { days: await subscriberHistory(ctx.db, { days }) };
  });

  app.get('/api/subscribers', {
    schema: { tags: ['subscribers'], summary: 'List and search subscribers, in id order', querystring: listQuery, response: { 200: page('subscribers', subscriber), ...errors(400) } },
  }, async (request) => {
    const { limit, cursor, ...filter } = parseInput(listQuery, request.query, 'query');
    const rows = await listSubscribers(ctx.db, { ...filter, limit: limit + 1, afterId: decodeCursor(cursor, 'number') });
    const page = toPage(rows, limit, (subscriber) => subscriber.id);
    return { subscribers: page.items, nextCursor: page.nextCursor };
  });

  app.post('/api/subscribers/import', {
    schema: {
      tags: ['subscribers'],
      summary: 'Import a CSV (email,name,topics,status), streamed',
      description: 'Send the file as the body with Content-Type: text/csv; a header row names the columns.',
      response: { 200: importReport, ...errors(400, 415) },
    },
  }, async (request) => {
    const type = request.headers['content-type'] ?? '';
    if (!/^(text|application)\/csv/i.test(type)) {
      throw new HttpError(415, 'send the CSV with Content-Type: text/csv');
    }
    try {
      return await importSubscribersCsv(ctx.db, request.body as Readable, { secret: ctx.secret });
    } catch (error) {
      if (error instanceof CsvHeaderError) throw new HttpError(400, error.message, [{ path: 'header', message: error.message }]);
      throw error;
    }
  });

  app.get('/api/subscribers/export', {
    schema: { tags: ['subscribers'], summary: 'Every subscriber as CSV, streamed', response: { 200: { content: { 'text/csv': { schema: z.string() } } }, ...errors() } },
  }, async (_request, reply) => {
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="subscribers.csv"')
      .send(exportSubscribersCsv(ctx.db));
  });
}
