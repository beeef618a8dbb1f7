// GET /api/dispatches/:id/report: what a dispatch did (src/analytics/dispatch-report.ts), as JSON or CSV.
import type { FastifyInstance } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { BUCKET_MINUTES } from '../../analytics/click-keys.js';
import { dispatchReport, dispatchReportCsvRows, reportOptionsFrom } from '../../analytics/dispatch-report.js';
import type { HeraldContext } from '../../context.js';
import { errors } from '../api-schemas.js';
import { notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';

const count = z.number().int().nonnegative();
const clickCounts = z.object({ human: count, machine: count });

const engagementRead = z.object({
  read: z.enum(['1h', '24h', '7d']).describe('about this long after posting'),
  status: z.enum(['ok', 'not_available']).describe('not_available: the network gives no numbers to this account (X\'s access tier), or the post is gone'),
  readAt: z.string(),
  metrics: z.record(z.string(), count).describe('the network\'s own names: favourites/reblogs/replies (Mastodon), likes/reposts/replies/quotes (Bluesky, X), reactions/comments/shares (Facebook)'),
  note: z.string().nullable(),
});

export const dispatchReportBody = z
  .object({
    dispatchId: z.number().int().positive(),
    delivered: count.describe('emails the receiving server accepted'),
    failed: z.object({ hardBounce: count, blocked: count, other: count }),
    complaints: count.describe('readers who marked this edition as spam (reported by the mail provider)'),
    unsubscribes: z.object({ total: count, oneClick: count, link: count })
      .describe('readers who left through this edition: oneClick from the mail app\'s button (List-Unsubscribe), link from the footer'),
    clicks: clickCounts.describe('over every link and reader; machine: scanners, proxies, scripts, bursts, the canary'),
    uniqueClickers: count.nullable().describe('readers with a human click; null unless HERALD_CLICK_ATTRIBUTION is on'),
    attribution: z.boolean(),
    links: z.array(z.object({ position: count, url: z.string(), kind: z.string(), human: count, machine: count }))
      .describe('the edition\'s links, most human clicks first'),
    clicksOverTime: z.object({
      bucketMinutes: z.number().int().positive(),
      since: z.string().nullable().describe('minute 0: the dispatch\'s start'),
      buckets: z.array(z.object({ minutesAfterSend: count, human: count, machine: count }))
        .describe('from minute 0 to the last bucket with clicks, empty ones included; within a flush (HERALD_CLICK_FLUSH_MS) of the clicks'),
    }),
    opens: z.object({
      human: count,
      machine: count.describe('Apple Mail Privacy Protection, Gmail\'s image proxy, other proxies, scanners, prefetches'),
      uniqueOpeners: count.nullable().describe('readers with a human open; null unless HERALD_CLICK_ATTRIBUTION is on'),
      note: z.string().describe('opens are approximate, in plain words'),
    }).nullable().describe('null unless HERALD_TRACK_OPENS is on (or was, for this edition)'),
    engagement: z.array(z.object({
      network: z.string(),
      account: z.string(),
      deliveryId: z.number().int().positive(),
      url: z.string().nullable(),
      status: z.string(),
      reads: z.array(engagementRead),
      latest: z.record(z.string(), count).nullable().describe('the newest read\'s numbers'),
    })).describe('each social post, with its metrics read back at about 1 h, 24 h and 7 days after posting'),
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

const reportQuery = z.object({
  format: z.enum(['json', 'csv']).optional().describe('csv: the same figures as CSV (or send Accept: text/csv)'),
  bucketMinutes: z.coerce.number().int().min(BUCKET_MINUTES).max(7 * 24 * 60)
    .refine((n) => n % BUCKET_MINUTES === 0, `must be a multiple of ${BUCKET_MINUTES}`)
    .optional().describe(`width of the clicks-over-time buckets in minutes (a multiple of ${BUCKET_MINUTES}; by default the narrowest that keeps the series under 48 points)`),
});

export function dispatchReportRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/api/dispatches/:id/report', {
    schema: {
      tags: ['dispatches'],
      summary: 'What the edition did: delivered, failed by kind, complaints, unsubscribes, clicks, opens, social engagement',
      params: idParams,
      querystring: reportQuery,
      response: {
        200: { content: { 'application/json': { schema: dispatchReportBody }, 'text/csv': { schema: z.string() } } },
        ...errors(400, 404),
      },
    },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const { format, bucketMinutes } = parseInput(reportQuery, request.query, 'query');
    const report = await dispatchReport(ctx.db, id, { ...reportOptionsFrom(ctx.config), bucketMinutes });
    if (!report) throw notFound('dispatch');
    const csv = format === 'csv' || (format === undefined && /^text\/csv\b/i.test(request.headers.accept ?? ''));
    if (!csv) return report;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="dispatch-${id}-report.csv"`)
      .send(stringify(dispatchReportCsvRows(report)));
  });
}
