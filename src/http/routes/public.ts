// Everything a reader or a mail provider reaches without an API token: subscribe, confirm, unsubscribe and
// preferences pages (answered as HTML, JSON for JSON clients), and the bounce/complaint webhooks (JSON).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { parseMultipartFields } from '../form-data.js';
import { handleError, HttpError } from '../errors.js';
import { noticePage, pageSettings, sendPage, wantsJson, type PageSettings } from '../pages/page.js';
import { TooManyRequestsError } from '../rate-limit.js';
import { confirmRoutes } from './confirm-pages.js';
import { preferencesRoutes } from './preferences-page.js';
import { subscribeRoutes } from './subscribe-page.js';
import { unsubscribeRoutes } from './unsubscribe-page.js';
import { webhookRoutes } from './webhooks.js';

const MULTIPART_LIMIT = 64 * 1024;

const HEADINGS: Record<number, string> = {
  404: 'Page not found',
  413: 'That was too much at once',
  415: 'We could not read that form',
  429: 'Too many requests',
};

/** Page routes answer errors as pages (JSON clients still get the API's JSON errors). */
function pageErrors(settings: PageSettings) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof TooManyRequestsError) reply.header('retry-after', String(error.retryAfterSeconds));
    if (wantsJson(request)) return handleError(error, request, reply);
    const status = error instanceof HttpError ? error.statusCode : ((error as FastifyError).statusCode ?? 500);
    if (status >= 400 && status < 500) {
      const message = error instanceof TooManyRequestsError
        ? `Please wait ${Math.ceil(error.retryAfterSeconds / 60)} minute(s) and try again.`
        : 'Please check what you entered and try again.';
      return sendPage(reply, status, noticePage(settings, HEADINGS[status] ?? 'That did not work', message));
    }
    request.log.error({ event: 'http.error', err: error }, 'unhandled error on a public page');
    return sendPage(reply, 500, noticePage(settings, 'Something went wrong on our side', 'Nothing was changed. Please try again in a few minutes.'));
  };
}

export function publicRoutes(ctx: HeraldContext) {
  return async function registerPublicRoutes(app: FastifyInstance) {
    await app.register(async (pages) => {
      pages.setErrorHandler(pageErrors(pageSettings(ctx)));
      pages.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: MULTIPART_LIMIT }, (request, body, done) => {
        const fields = parseMultipartFields(body as string, request.headers['content-type'] ?? '');
        done(fields ? null : new HttpError(400, 'unreadable multipart body'), fields);
      });
      subscribeRoutes(pages, ctx);
      confirmRoutes(pages, ctx);
      unsubscribeRoutes(pages, ctx);
      preferencesRoutes(pages, ctx);
    });
    await app.register(async (hooks) => {
      webhookRoutes(hooks, ctx);
    });
  };
}
