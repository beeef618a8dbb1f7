// The correction email (subject, HTML and text with the reader's markers), built from the correction and its
// article, and compiled once into a MIME message with the list headers every edition carries. Pure.
import addressparser from 'nodemailer/lib/addressparser';
import { html, joinHtml } from '../render/html.js';
import { recipientMarkers } from './edition-renderer.js';
import { compileMimeMessage, type CompiledMimeMessage } from './mime-template.js';
import type { EditionSettings } from './edition-service.js';

export interface CorrectionMailInput {
  note: string;
  article: { title: string; url: string };
  /** When the edition went out, for "the story we sent you on …". */
  sentAt: Date;
}

/** The message, compiled once per correction; each reader only personalises it (src/email/mime-template.ts). */
export function compileCorrectionMail(input: CorrectionMailInput, settings: EditionSettings, markerKey: string): { compiled: CompiledMimeMessage; envelopeFrom: string; domain: string } {
  const markers = recipientMarkers(markerKey);
  const { title, url } = input.article;
  const day = input.sentAt.toISOString().slice(0, 10);
  const subject = `Correction: ${title}`;
  const text = [
    `Hi ${markers.name},`,
    '',
    `A correction to "${title}", which we sent you on ${day}:`,
    '',
    input.note,
    '',
    `The story: ${url}`,
    '',
    '--',
    settings.listName,
    settings.postalAddress,
    `Unsubscribe: ${markers.unsubscribeUrl}`,
    `Preferences: ${markers.preferencesUrl}`,
  ].join('\n');
  const body = html`<!doctype html><html><body style="font-family:sans-serif;max-width:600px;margin:0 auto">
<p>Hi ${markers.name},</p>
<p>A correction to <a href="${url}">${title}</a>, which we sent you on ${day}:</p>
<blockquote style="border-left:4px solid #c33;margin:0;padding:0 1em"><p>${input.note}</p></blockquote>
<hr><p style="font-size:12px;color:#666">${settings.listName}<br>${joinHtml(settings.postalAddress.split(/\r?\n/), html`<br>`)}<br>
<a href="${markers.unsubscribeUrl}">Unsubscribe</a> · <a href="${markers.preferencesUrl}">Preferences</a></p>
</body></html>`.toString();
  const [sender] = addressparser(settings.mailFrom, { flatten: true });
  const envelopeFrom = sender?.address || 'newsletter@localhost';
  const domain = envelopeFrom.split('@')[1] ?? 'localhost';
  const compiled = compileMimeMessage(
    { subject, html: body, text, markerKey },
    { from: settings.mailFrom, listId: `${slug(settings.listName)}.${domain}`, listName: settings.listName, unsubscribeMailto: settings.unsubscribeMailto },
  );
  return { compiled, envelopeFrom, domain };
}

/** As the edition's List-Id is made (src/email/edition-service.ts), so filters catch both. */
function slug(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'newsletter';
}
