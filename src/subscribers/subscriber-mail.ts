// The mails a subscriber gets outside editions (confirm a subscription, confirm a new address, "already subscribed"):
// queued as jobs that carry only ids, composed from the rows when the job runs.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Queues } from '../queue/queues.js';
import { fillHtmlTemplate } from '../render/fill-template.js';
import { html, joinHtml } from '../render/html.js';
import { loadTemplate } from '../runtime/templates.js';
import { changeEmailUrl, confirmUrl, preferencesUrl, type LinkSettings } from './subscriber-links.js';

/** Job name on the email-batch queue: these go through the same queue and SMTP pool as editions. */
export const SUBSCRIBER_MAIL_JOB = 'transactional';

export type SubscriberMailKind = 'confirm' | 'change-email' | 'already-subscribed';

export interface SubscriberMailJob {
  kind: SubscriberMailKind;
  subscriberId: number;
}

export interface SubscriberMailSettings extends LinkSettings {
  listName: string;
  postalAddress: string;
}

export interface SubscriberMessage {
  to: string;
  toName: string | null;
  subject: string;
  text: string;
  html: string;
}

/** `lifo`: a confirmation is waited for by a person, so it goes ahead of edition batches already waiting. */
export async function queueSubscriberMail(queues: Queues, job: SubscriberMailJob): Promise<void> {
  await queues.emailBatch.add(SUBSCRIBER_MAIL_JOB, job, { lifo: true });
}

interface Notice {
  subject: string;
  heading: string;
  intro: string;
  actionUrl: string;
  actionLabel: string;
  outro: string;
}

/**
 * Builds the message from the current rows; undefined when there is nothing to send any more (the subscriber was
 * erased, or the confirmation was used or replaced since the job was queued).
 */
export async function composeSubscriberMail(
  db: Kysely<Database>,
  settings: SubscriberMailSettings,
  job: SubscriberMailJob,
): Promise<SubscriberMessage | undefined> {
  const subscriber = await db.selectFrom('subscribers').selectAll().where('id', '=', job.subscriberId).executeTakeFirst();
  if (!subscriber) return undefined;
  const list = settings.listName;
  let to = subscriber.email;
  let notice: Notice;
  if (job.kind === 'already-subscribed') {
    notice = {
      subject: `You are already subscribed to ${list}`,
      heading: 'You are already on the list',
      intro: `Someone (hopefully you) asked to subscribe this address to ${list}. It already receives it, so nothing changed.`,
      actionUrl: preferencesUrl(settings, subscriber.id),
      actionLabel: 'Manage your preferences',
      outro: 'If you did not ask for this, you can ignore this email.',
    };
  } else {
    const pending = await db
      .selectFrom('subscriberConfirmations')
      .selectAll()
      .where('subscriberId', '=', subscriber.id)
      .where('purpose', '=', job.kind)
      .executeTakeFirst();
    if (!pending) return undefined;
    if (job.kind === 'confirm') {
      notice = {
        subject: `Confirm your subscription to ${list}`,
        heading: 'Please confirm your subscription',
        intro: `Thanks for subscribing to ${list}. Confirm that this address is yours and we will start sending it.`,
        actionUrl: confirmUrl(settings, subscriber.id, pending.nonce),
        actionLabel: 'Confirm subscription',
        outro: 'The link works for 7 days. If you did not ask to subscribe, ignore this email and you will not hear from us again.',
      };
    } else {
      if (!pending.newEmail) return undefined;
      to = pending.newEmail;
      notice = {
        subject: `Confirm your new address for ${list}`,
        heading: 'Confirm your new email address',
        intro: `You asked to receive ${list} at this address instead of your previous one. Confirm it to make the switch.`,
        actionUrl: changeEmailUrl(settings, subscriber.id, pending.nonce, pending.newEmail),
        actionLabel: 'Confirm new address',
        outro: 'The link works for 7 days. If you did not ask for this, ignore this email; nothing changes.',
      };
    }
  }
  const body = fillHtmlTemplate(loadTemplate('email/notice.html'), {
    ...notice,
    listName: list,
    postalAddressHtml: joinHtml(settings.postalAddress.split(/\r?\n/), html`<br>`),
  });
  const text = [notice.heading, '', notice.intro, '', `${notice.actionLabel}: ${notice.actionUrl}`, '', notice.outro, '', '--',
    list, settings.postalAddress].join('\n');
  // No display name: it was typed on a public form by whoever asked, and would arrive from the list's own address.
  return { to, toName: null, subject: notice.subject, text, html: body };
}
