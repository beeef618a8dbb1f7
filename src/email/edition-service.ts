// Editions: rendered once per dispatch and stored (the "view in browser" copy too), then compiled once per process
// into a MIME message that each recipient only personalises.
import addressparser from 'nodemailer/lib/addressparser';
import type { Kysely } from 'kysely';
import { findArticle } from '../articles/article-repository.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/schema.js';
import { randomBytes } from 'node:crypto';
import { signReaderSlot } from '../analytics/click-tokens.js';
import { signLinkToken } from '../subscribers/link-tokens.js';
import { editionUnsubscribeToken } from '../subscribers/subscriber-links.js';
import type { EditionMessage, Recipient } from './batch-sender.js';
import { renderEdition, type RenderedEdition } from './edition-renderer.js';
import { compileMimeMessage, personalise } from './mime-template.js';

export interface EditionSettings {
  publicUrl: string;
  secret: string;
  mailFrom: string;
  listName: string;
  postalAddress: string;
  unsubscribeMailto?: string;
  /** Hosts of the newsroom's own site, whose links in editions get UTM parameters (HERALD_UTM_HOSTS). */
  utmHosts?: readonly string[];
  /** HERALD_TRACK_OPENS: editions carry the open pixel. */
  trackOpens?: boolean;
}

/** The settings every edition, notice and page is made with, from the one config. */
export function editionSettingsFrom(ctx: { config: Config; secret: string }): EditionSettings {
  const { config } = ctx;
  return {
    publicUrl: config.PUBLIC_URL,
    secret: ctx.secret,
    mailFrom: config.MAIL_FROM,
    listName: config.LIST_NAME,
    postalAddress: config.POSTAL_ADDRESS,
    unsubscribeMailto: config.UNSUBSCRIBE_MAILTO,
    utmHosts: config.HERALD_UTM_HOSTS,
    trackOpens: config.HERALD_TRACK_OPENS === 'on',
  };
}

/** The edition's public web copy; its id is random, so nobody can walk through every edition by counting. */
export const editionUrl = (publicUrl: string, publicId: string) => `${publicUrl}/editions/${publicId}`;

export const newEditionPublicId = (): string => randomBytes(16).toString('base64url');

/** Renders a dispatch's edition from its article and the editor's edits; undefined when either is missing. */
export async function renderDispatchEdition(
  db: Kysely<Database>,
  dispatchId: number,
  settings: Pick<EditionSettings, 'publicUrl' | 'listName' | 'postalAddress'>,
  publicId: string,
  /** Track the edition's links (the stored edition does; a preview need not). */
  tracking?: Pick<EditionSettings, 'secret' | 'utmHosts' | 'trackOpens'>,
): Promise<RenderedEdition | undefined> {
  const dispatch = await db.selectFrom('dispatches').selectAll().where('id', '=', dispatchId).executeTakeFirst();
  const article = dispatch && (await findArticle(db, dispatch.articleId));
  if (!dispatch || !article) return undefined;
  return renderEdition(article, {
    listName: settings.listName,
    postalAddress: settings.postalAddress,
    viewInBrowserUrl: editionUrl(settings.publicUrl, publicId),
    subject: dispatch.subject ?? undefined,
    preheader: dispatch.preheader ?? undefined,
    clickTracking: tracking && {
      publicUrl: settings.publicUrl, secret: tracking.secret, dispatchId, utmHosts: tracking.utmHosts ?? [],
      trackOpens: tracking.trackOpens ?? false,
    },
  });
}

/** Renders the dispatch's edition unless it already exists; a repeated render job changes nothing. */
export async function renderAndStoreEdition(db: Kysely<Database>, dispatchId: number, settings: EditionSettings): Promise<void> {
  const existing = await db.selectFrom('editions').select('dispatchId').where('dispatchId', '=', dispatchId).executeTakeFirst();
  if (existing) return;
  const publicId = newEditionPublicId();
  const edition = await renderDispatchEdition(db, dispatchId, settings, publicId, settings);
  if (!edition) throw new Error(`dispatch ${dispatchId} or its article is missing`);
  await db.transaction().execute(async (tx) => {
    const stored = await tx
      .insertInto('editions')
      .values({
        dispatchId, publicId, markerKey: edition.markerKey,
        subject: edition.subject, preheader: edition.preheader, html: edition.html, text: edition.text,
      })
      .onConflict((oc) => oc.column('dispatchId').doNothing())
      .returning('dispatchId')
      .executeTakeFirst();
    // Only the render whose edition was stored writes its links: their positions are in that edition's tokens.
    if (stored && edition.links.length > 0) {
      await tx.insertInto('editionLinks').values(edition.links.map((link) => ({ dispatchId, ...link }))).execute();
    }
  });
}

function senderParts(mailFrom: string): { address: string; domain: string } {
  const [first] = addressparser(mailFrom) as { address?: string }[];
  const address = first?.address ?? 'newsletter@localhost';
  return { address, domain: address.split('@')[1] ?? 'localhost' };
}

/** Per-process cache of compiled editions; a handful of dispatches are ever in flight at once. */
export class EditionMessages {
  private readonly cache = new Map<number, Promise<EditionMessage>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: EditionSettings,
    private readonly capacity = 8,
  ) {}

  get(dispatchId: number): Promise<EditionMessage> {
    let message = this.cache.get(dispatchId);
    if (!message) {
      message = this.compile(dispatchId);
      message.catch(() => this.cache.delete(dispatchId));
      this.cache.set(dispatchId, message);
      if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    }
    return message;
  }

  private async compile(dispatchId: number): Promise<EditionMessage> {
    const edition = await this.db
      .selectFrom('editions')
      .selectAll()
      .where('dispatchId', '=', dispatchId)
      .executeTakeFirstOrThrow();
    const { address, domain } = senderParts(this.settings.mailFrom);
    const compiled = compileMimeMessage(edition, {
      from: this.settings.mailFrom,
      listId: `${slug(this.settings.listName)}.${domain}`,
      listName: this.settings.listName,
      unsubscribeMailto: this.settings.unsubscribeMailto,
    });
    const { publicUrl, secret } = this.settings;
    return {
      envelopeFrom: address,
      personalise: (r: Recipient) => {
        // A fixed Message-ID per delivery: a resend after a crash carries the same id, so mailboxes can fold it.
        const messageId = `<herald.${dispatchId}.${r.deliveryId}@${domain}>`;
        const unsubscribe = editionUnsubscribeToken(secret, r.subscriberId, dispatchId);
        const preferences = signLinkToken(secret, { purpose: 'preferences', subscriberId: r.subscriberId, expiresAt: 0 });
        // One signature per message for all its tracked links: the link parts were signed once, at render time.
        const clickSlot = signReaderSlot(secret, dispatchId, r.deliveryId, new Date());
        const raw = personalise(compiled, {
          address: r.email,
          name: r.name,
          messageId,
          unsubscribeUrl: `${publicUrl}/unsubscribe/${unsubscribe}`,
          preferencesUrl: `${publicUrl}/preferences/${preferences}`,
          clickSlot,
        });
        return { raw, messageId };
      },
    };
  }
}

function slug(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'newsletter';
}
