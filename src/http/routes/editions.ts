// "View in browser": an edition's web copy, public, with the per-reader parts replaced by neutral ones. Reached by
// the edition's random public id only (a dispatch id could be counted through), and never for a cancelled dispatch.
// A retracted article's editions show the retraction notice, with the editor's reason, instead of the story.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { fillRecipientMarkers } from '../../email/edition-preview.js';
import { notFound, parseInput } from '../errors.js';
import { pageSettings, sendPage } from '../pages/page.js';
import { retractionNoticePage } from '../pages/retraction-notice.js';

const editionParams = z.object({ publicId: z.string().regex(/^[A-Za-z0-9_-]{16,80}$/, 'is not an edition id') });

export function editionRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/editions/:publicId', async (request, reply) => {
    const { publicId } = parseInput(editionParams, request.params, 'path');
    const edition = await ctx.db
      .selectFrom('editions')
      .innerJoin('dispatches', 'dispatches.id', 'editions.dispatchId')
      .leftJoin('retractions', 'retractions.articleId', 'dispatches.articleId')
      .select(['editions.html', 'editions.markerKey', 'editions.subject', 'dispatches.status', 'retractions.reason as retraction', 'retractions.retractedAt'])
      .where('editions.publicId', '=', publicId)
      .executeTakeFirst();
    // Retracted (a retraction mid-send cancels the dispatch too): readers who got the email learn why it is gone.
    if (edition?.retraction != null) {
      return sendPage(reply, 200, retractionNoticePage(pageSettings(ctx), edition.subject, edition.retraction, edition.retractedAt!));
    }
    // A cancelled dispatch's edition was never (fully) meant to be read: it is gone for the public.
    if (!edition || edition.status === 'cancelled') throw notFound('edition');
    // The web copy is the same for everyone: no name, and its links go to the subscribe page.
    const html = fillRecipientMarkers(edition.html, ctx.config.PUBLIC_URL, edition.markerKey);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header(
        'content-security-policy',
        "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      )
      .send(html);
  });
}
