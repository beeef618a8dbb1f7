// GET /api/dispatches/:id/report: what a dispatch's email did (src/analytics/dispatch-report.ts), as JSON or CSV.
import type { FastifyInstance } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { dispatchReport, dispatchReportCsvRows } from '../../analytics/dispatch-report.js';
import type { HeraldContext } from '../../context.js';
import { errors } from '../api-schemas.js';
import { notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';

const count = z.number().int().nonnegative();
const clickCounts = z.object({ human: count, machine: count });

export const dispatchReportBody = z
  .object({
    dispatchId: z.number().int().positive(),
    delivered: count.describe('emails the receiving server accepted'),
    failed: z.object({ hardBounce: count, blocked: count, other: count }),
    clicks: clickCounts.describe('over every link and reader; machine: scanners, proxies, scripts, bursts, the canary'),
    uniqueClickers: count.nullable().describe('readers with a human click; null unless HERALD_CLICK_ATTRIBUTION is on'),
    attribution: z.boolean(),
    links: z.array(z.object({ position: count, url: z.string(), kind: z.string(), human: count, machine: count }))
      .describe('the edition\'s links, most human clicks first'),
    corrections: z
      .array(z.object({
        id: z.number().int().positive(),
        note: z.string(),
        createdAt: z.string().describe('ISO 8601 date-time'),
        email: z.record(z.string(), count).describe('readers the correction email went to, by status'),
        posts: z.array(z.object({ channel: z.string(), status: z.string(), outcome: z.string().nullable(), remoteUrl: z.string().nullable(), note: z.string().nullable() })),
      }))
      .describe("the story's corrections (POST /api/articles/:id/correct), each linked to this send"),
  })
  .meta({ id: 'DispatchReport' });

const reportQuery = z.object({ format: z.enum(['json', 'csv']).optional().describe('csv: the same figures as CSV (or send Accept: text/csv)') });

export function dispatchReportRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/api/dispatches/:id/report', {
    schema: {
      tags: ['dispatches'],
      summary: 'What the edition did: delivered, failed by kind, human and machine clicks, top links',
      params: idParams,
      querystring: reportQuery,
      response: {
        200: { content: { 'application/json': { schema: dispatchReportBody }, 'text/csv': { schema: z.string() } } },
        ...errors(400, 404),
      },
    },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const { format } = parseInput(reportQuery, request.query, 'query');
    const report = await dispatchReport(ctx.db, id, ctx.config.HERALD_CLICK_ATTRIBUTION === 'on');
    if (!report) throw notFound('dispatch');
    const csv = format === 'csv' || (format === undefined && /^text\/csv\b/i.test(request.headers.accept ?? ''));
    if (!csv) return report;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="dispatch-${id}-report.csv"`)
      .send(stringify(dispatchReportCsvRows(report)));
  });
}
