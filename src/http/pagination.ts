// One pagination convention for every list endpoint: `?limit=` (capped) and `?cursor=` (opaque, from the previous
// page's `nextCursor`); the answer carries `nextCursor`, null on the last page. A cursor is the position after the
// last row handed out, so rows added meanwhile never shift a page.
import { z } from 'zod';
import { HttpError } from './errors.js';

/** `?limit=&cursor=` for a list whose default page is `defaultLimit` rows and whose largest is `maxLimit`. */
export const pageQuery = (defaultLimit: number, maxLimit: number) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).describe(`rows per page, at most ${maxLimit}`),
    cursor: z.string().max(200).optional().describe("the previous page's nextCursor"),
  });

export const nextCursorField = z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page');

export function encodeCursor(position: number | string): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

/** The position a cursor stands for; a cursor this endpoint did not hand out is a 400 `invalid_cursor`. */
export function decodeCursor(cursor: string | undefined, kind: 'number'): number | undefined;
export function decodeCursor(cursor: string | undefined, kind: 'string'): string | undefined;
export function decodeCursor(cursor: string | undefined, kind: 'number' | 'string'): number | string | undefined {
  if (cursor === undefined) return undefined;
  let position: unknown;
  try {
    position = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p?: unknown }).p;
  } catch {
    position = undefined;
  }
  const valid = kind === 'number' ? Number.isSafeInteger(position) && (position as number) > 0 : typeof position === 'string' && position.length > 0;
  if (!valid) throw new HttpError(400, 'invalid cursor: pass a nextCursor from this endpoint', [{ path: 'cursor', message: 'not a cursor of this list' }], 'invalid_cursor');
  return position as number | string;
}

/**
 * A page from `limit + 1` fetched rows: the extra row only says that another page exists. `position` is what the
 * next cursor points after (an id, a file name).
 */
export function toPage<T>(rows: T[], limit: number, position: (row: T) => number | string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(position(items[items.length - 1])) : null };
}

/** For dashboard pages: the position of a cursor, or the first page for a missing or foreign one. */
export function cursorOrFirstPage(cursor: string | undefined): number | undefined {
  try {
    return decodeCursor(cursor, 'number');
  } catch {
    return undefined;
  }
}
