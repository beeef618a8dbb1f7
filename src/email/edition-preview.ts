// An edition as an editor sees it before (or after) it goes out: the stored one once the dispatch has rendered it,
// otherwise rendered now and not stored, so changes made before the start still reach the real edition.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ANONYMOUS_CLICK_SLOT } from '../analytics/click-tokens.js';
import { clickSlotMarker, recipientMarkers } from './edition-renderer.js';
import { renderDispatchEdition, type EditionSettings } from './edition-service.js';

export interface EditionPreview {
  subject: string;
  preheader: string;
  /** HTML and text with the per-reader parts filled with neutral stand-ins. */
  html: string;
  text: string;
  /** True once the dispatch rendered it: this is exactly what subscribers get. */
  stored: boolean;
}

/** Undefined when the dispatch does not exist; throws EditionRenderError when the article cannot be an edition. */
export async function previewEdition(
  db: Kysely<Database>,
  dispatchId: number,
  settings: Pick<EditionSettings, 'publicUrl' | 'listName' | 'postalAddress'>,
): Promise<EditionPreview | undefined> {
  const stored = await db.selectFrom('editions').selectAll().where('dispatchId', '=', dispatchId).executeTakeFirst();
  if (stored) {
    const stand = (text: string) => fillRecipientMarkers(text, settings.publicUrl, stored.markerKey);
    return { subject: stored.subject, preheader: stored.preheader, html: stand(stored.html), text: stand(stored.text), stored: true };
  }
  const edition = await renderDispatchEdition(db, dispatchId, settings, 'preview');
  if (!edition) return undefined;
  const stand = (text: string) => fillRecipientMarkers(text, settings.publicUrl, edition.markerKey);
  return { subject: edition.subject, preheader: edition.preheader, html: stand(edition.html), text: stand(edition.text), stored: false };
}

/**
 * The reader's name becomes "there"; unsubscribe and preferences links go to the subscribe page (as in the web copy);
 * tracked links count as nobody's clicks.
 */
export function fillRecipientMarkers(text: string, publicUrl: string, markerKey: string | null): string {
  const subscribePage = `${publicUrl}/subscribe`;
  const markers = recipientMarkers(markerKey);
  return text
    .replaceAll(markers.name, 'there')
    .replaceAll(markers.unsubscribeUrl, subscribePage)
    .replaceAll(markers.preferencesUrl, subscribePage)
    .replaceAll(clickSlotMarker(markerKey), ANONYMOUS_CLICK_SLOT);
}
