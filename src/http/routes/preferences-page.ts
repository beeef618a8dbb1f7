// GET/POST /preferences/:token: a subscriber manages name, address, topics, cadence, time zone and pause from a mailed
// link.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HeraldContext } from '../../context.js';
import type { SubscriberRow } from '../../db/schema.js';
import { html } from '../../render/html.js';
import { preferencesInput, updatePreferences } from '../../subscribers/preferences.js';
import { checkLink, unsubscribeUrl } from '../../subscribers/subscriber-links.js';
import { queueSubscriberMail } from '../../subscribers/subscriber-mail.js';
import { findSubscriber } from '../../subscribers/subscriber-repository.js';
import { availableTopics } from '../../subscribers/topics.js';
import { zodIssues } from '../errors.js';
import { linkProblemPage, noticePage, pageSettings, sendPage } from '../pages/page.js';
import { preferencesPage } from '../pages/preferences-form.js';
import { FixedWindowLimiter } from '../rate-limit.js';
import { tokenParams } from './confirm-pages.js';

interface FormView {
  name: string;
  email: string;
  topics: string[];
  cadence: string;
  paused: boolean;
  timezone: string;
  errors: { path: string; message: string }[];
  notices: string[];
}

export function preferencesRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const settings = pageSettings(ctx);
  const links = { publicUrl: ctx.config.PUBLIC_URL, secret: ctx.secret };
  // A new address gets a confirmation mail: limited like sign-ups, so the page cannot be used to flood a mailbox.
  const byAddress = new FixedWindowLimiter(ctx.redis, {
    prefix: `${ctx.redisPrefix}:rate:subscribe-address`,
    limit: ctx.config.SUBSCRIBE_RATE_PER_ADDRESS,
    windowSeconds: ctx.config.SUBSCRIBE_RATE_WINDOW_SECONDS,
  });

  const showForm = async (reply: FastifyReply, status: number, token: string, subscriber: SubscriberRow, view: FormView) => {
    const topics = await availableTopics(ctx.db, ctx.config.HERALD_TOPICS);
    return sendPage(reply, status, preferencesPage(settings, {
      action: `./${token}`,
      email: view.email,
      name: view.name,
      topics,
      chosenTopics: view.topics,
      cadence: view.cadence,
      paused: view.paused,
      timezone: view.timezone,
      defaultZone: ctx.config.HERALD_TIMEZONE,
      unsubscribeUrl: unsubscribeUrl(links, subscriber.id),
      errors: view.errors.map((e) => `${e.path}: ${e.message}`),
      emailInvalid: view.errors.some((e) => e.path === 'email'),
      notices: view.notices,
    }));
  };

  /** The subscriber behind a preferences link, or the page that explains why there is none to manage. */
  const resolve = async (reply: FastifyReply, token: string): Promise<SubscriberRow | undefined> => {
    const link = checkLink(ctx.linkSecrets, token, 'preferences');
    if (!link.ok) {
      const page = linkProblemPage(settings, 'invalid');
      sendPage(reply, page.status, page.html);
      return undefined;
    }
    const subscriber = await findSubscriber(ctx.db, link.claims.subscriberId);
    if (!subscriber) {
      sendPage(reply, 404, noticePage(settings, 'No subscription here', 'We no longer hold a subscription for this link.'));
      return undefined;
    }
    if (subscriber.status !== 'confirmed' && subscriber.status !== 'pending') {
      sendPage(reply, 200, noticePage(settings, `You do not receive ${ctx.config.LIST_NAME}`,
        'This address is not subscribed at the moment. To receive it again, subscribe and confirm the link we send you.',
        html`<p><a class="button" href="${ctx.config.PUBLIC_URL}/subscribe">Subscribe again</a></p>`));
      return undefined;
    }
    return subscriber;
  };

  const viewOf = (s: SubscriberRow, notices: string[] = []): FormView => ({
    name: s.name ?? '', email: s.email, topics: s.topics, cadence: s.cadence, paused: s.paused, timezone: s.timezone ?? '', errors: [], notices,
  });

  app.get('/preferences/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const subscriber = await resolve(reply, token);
    if (!subscriber) return reply;
    return showForm(reply, 200, token, subscriber, viewOf(subscriber));
  });

  app.post('/preferences/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const subscriber = await resolve(reply, token);
    if (!subscriber) return reply;
    const parsed = preferencesInput.safeParse(request.body ?? {});
    if (!parsed.success) {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v.slice(0, 320) : fallback);
      const topics = ([] as unknown[]).concat(body.topics ?? []).filter((t): t is string => typeof t === 'string');
      return showForm(reply, 400, token, subscriber, {
        name: text(body.name, ''), email: text(body.email, subscriber.email), topics,
        cadence: text(body.cadence, subscriber.cadence), paused: body.paused === 'on',
        timezone: text(body.timezone, subscriber.timezone ?? '').slice(0, 64),
        errors: zodIssues(parsed.error), notices: [],
      });
    }
    const newEmail = parsed.data.email && parsed.data.email !== subscriber.email.toLowerCase() ? parsed.data.email : undefined;
    if (newEmail) await byAddress.enforce(`address:${newEmail}`);
    const result = await updatePreferences(ctx.db, subscriber.id, parsed.data);
    if (!result) return sendPage(reply, 404, noticePage(settings, 'No subscription here', 'We no longer hold a subscription for this link.'));
    const notices = ['Your preferences are saved.'];
    if (result.emailChangeRequested && newEmail) {
      await queueSubscriberMail(ctx.queues, { kind: 'change-email', subscriberId: subscriber.id });
      notices.push(`We sent a confirmation link to ${newEmail}. Your address changes once you click it.`);
    }
    return showForm(reply, 200, token, result.subscriber, viewOf(result.subscriber, notices));
  });
}
