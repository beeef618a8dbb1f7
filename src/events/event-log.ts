// The append-only log of status changes: who or what moved a subscriber, dispatch or delivery, and why.
import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../db/schema.js';

export type EventSubject = EventsTable['subjectType'];

/** What caused a change, as shown to editors (form, link, one-click header, import, bounce, complaint, editor…). */
export type EventCause = string;

export interface EventEntry {
  subjectType: EventSubject;
  subjectId: string | number;
  event: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  cause?: EventCause | null;
  detail?: Record<string, unknown> | null;
}

/** Appends events; pass the transaction the change itself runs in, so the log never disagrees with the data. */
export async function recordEvents(db: Kysely<Database>, entries: EventEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('events')
    .values(
      entries.map((e) => ({
        subjectType: e.subjectType,
        subjectId: String(e.subjectId),
        event: e.event,
        fromStatus: e.fromStatus ?? null,
        toStatus: e.toStatus ?? null,
        cause: e.cause ?? null,
        detail: e.detail ? JSON.stringify(e.detail) : null,
      })),
    )
    .execute();
}

export function recordEvent(db: Kysely<Database>, entry: EventEntry): Promise<void> {
  return recordEvents(db, [entry]);
}
