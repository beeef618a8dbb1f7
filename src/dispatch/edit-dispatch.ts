// An editor's changes to a dispatch that has not started: the email subject and preheader, the per-network post texts.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { cleanLine } from '../text/plain-text.js';
import type { Database, DispatchRow, DispatchStatus } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { socialTextsEdit } from '../social/social-texts.js';
import { lockDispatch } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';

/**
 * Statuses in which nothing has been composed or sent yet, so an edit still reaches every channel; a held dispatch
 * (it missed its time while Herald was down) may be edited before an editor releases it.
 */
export const EDITABLE_STATUSES: readonly DispatchStatus[] = TRANSITIONS.edit.from;

// One clean line: the subject and preheader end up in mail headers and the inbox preview.
const line = (max: number) => z.string().max(max).transform(cleanLine).nullable().optional();

/** PATCH /api/dispatches/:id. `null` clears a field (the subject then comes from the article title again). */
export const dispatchEdits = z
  .strictObject({
    subject: line(300),
    preheader: line(500),
    socialTexts: socialTextsEdit.optional(),
  })
  .refine((e) => Object.values(e).some((v) => v !== undefined), { message: 'nothing to change: send subject, preheader or socialTexts' });

export type DispatchEdits = z.infer<typeof dispatchEdits>;

export type EditOutcome =
  | { kind: 'edited'; dispatch: DispatchRow }
  | { kind: 'not-found' }
  /** Started or finished already: the change would reach some channels and not others. */
  | { kind: 'too-late'; status: DispatchStatus };

/** Applies the edits under the same row lock the start of a dispatch takes, so an edit lands wholly before it or not at all. */
export async function editDispatch(db: Kysely<Database>, id: number, edits: DispatchEdits, cause: string): Promise<EditOutcome> {
  return db.transaction().execute(async (tx) => {
    const before = await lockDispatch(tx, id);
    if (!before) return { kind: 'not-found' };
    if (!EDITABLE_STATUSES.includes(before.status)) return { kind: 'too-late', status: before.status };

    const socialTexts: Record<string, string> = { ...before.socialTexts };
    for (const [network, text] of Object.entries(edits.socialTexts ?? {})) {
      if (text === null) delete socialTexts[network];
      else if (text !== undefined) socialTexts[network] = text;
    }
    const dispatch = await tx
      .updateTable('dispatches')
      .set({
        ...(edits.subject !== undefined ? { subject: edits.subject || null } : {}),
        ...(edits.preheader !== undefined ? { preheader: edits.preheader || null } : {}),
        ...(edits.socialTexts ? { socialTexts: JSON.stringify(socialTexts) } : {}),
        updatedAt: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordEvent(tx, {
      subjectType: 'dispatch',
      subjectId: id,
      event: 'dispatch.edited',
      cause,
      detail: { fields: Object.keys(edits).filter((k) => edits[k as keyof DispatchEdits] !== undefined), socialTexts: Object.keys(edits.socialTexts ?? {}) },
    });
    return { kind: 'edited', dispatch };
  });
}
