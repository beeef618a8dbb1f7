// The public sign-up: GET /subscribe (hosted form) and POST /subscribe (that form, an embedded one, or JSON).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { publicSubscribeInput, requestSubscription } from '../../subscribers/subscribe.js';
import { queueSubscriberMail } from '../../subscribers/subscriber-mail.js';
import { availableTopics } from '../../subscribers/topics.js';
import { HttpError, zodIssues } from '../errors.js';
import { html } from '../../render/html.js';
import { noticePage, pageSettings, sendPage, wantsJson } from '../pages/page.js';
import { subscribePage } from '../pages/subscribe-form.js';
import { FixedWindowLimiter } from '../rate-limit.js';

/** The same words whatever happened: whether an address was known must not show (no list enumeration). */
const CHECK_INBOX = 'If the address can receive our newsletter, a confirmation link is on its way. Click it to complete your subscription.';

interface FormState {
  email: string;
  name: string;
  topics: string[];
  errors: { path: string; message: string }[];
}

const FIELD_LABELS: Record<string, string> = { email: 'Email address', name: 'Name', topics: 'Topics' };

export function subscribeRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const settings = pageSettings(ctx);
  const { config } = ctx;
  const byIp = new FixedWindowLimiter(ctx.redis, {
    prefix: `${ctx.redisPrefix}:rate:subscribe-ip`, limit: config.SUBSCRIBE_RATE_PER_IP, windowSeconds: config.SUBSCRIBE_RATE_WINDOW_SECONDS,
  });
  const byAddress = new FixedWindowLimiter(ctx.redis, {
    prefix: `${ctx.redisPrefix}:rate:subscribe-address`, limit: config.SUBSCRIBE_RATE_PER_ADDRESS, windowSeconds: config.SUBSCRIBE_RATE_WINDOW_SECONDS,
  });

  const showForm = async (reply: FastifyReply, status: number, state: FormState) => {
    const topics = await availableTopics(ctx.db, config.HERALD_TOPICS);
    return sendPage(reply, status, subscribePage(settings, {
      email: state.email,
      name: state.name,
      topics,
      chosenTopics: state.topics,
      errors: state.errors.map((e) => `${FIELD_LABELS[e.path.split('.')[0]] ?? e.path}: ${e.message}`),
      emailInvalid: state.errors.some((e) => e.path === 'email'),
    }));
  };

  app.get('/subscribe', async (_request, reply) => showForm(reply, 200, { email: '', name: '', topics: [], errors: [] }));

  app.post('/subscribe', async (request, reply) => {
    const json = wantsJson(request);
    // Counted before validation, so a flood of garbage is limited too.
    await byIp.enforce(`ip:${request.ip}`);
    let parsed = publicSubscribeInput.safeParse(request.body ?? {});
    // The form's zone comes from the browser, not the reader: one it cannot name is dropped (the installation's
    // applies) rather than shown as an error they cannot fix. A JSON client is told, like for any field.
    if (!json && !parsed.success && parsed.error.issues.every((issue) => issue.path[0] === 'timezone')) {
      parsed = publicSubscribeInput.safeParse({ ...(request.body as object), timezone: undefined });
    }
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      if (json) throw new HttpError(400, 'invalid body', issues);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 320) : '');
      const topics = ([] as unknown[]).concat(body.topics ?? []).filter((t): t is string => typeof t === 'string');
      return showForm(reply, 400, { email: text(body.email), name: text(body.name), topics, errors: issues });
    }
    await byAddress.enforce(`address:${parsed.data.email}`);
    const result = await requestSubscription(ctx.db, ctx.secret, parsed.data);
    if (result.mail) await queueSubscriberMail(ctx.queues, result.mail);
    request.log.info({ event: 'subscriber.subscribe_requested', outcome: result.outcome }, 'subscribe request');
    if (json) return reply.code(202).send({ status: 'pending', message: CHECK_INBOX });
    return sendPage(reply, 200, noticePage(settings, 'Check your inbox', CHECK_INBOX,
      html`<p class="fineprint">Nothing arrived after a few minutes? Look in your spam folder, or <a href="subscribe">try again</a>.</p>`));
  });
}
