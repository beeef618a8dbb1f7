// An endpoint's health as admins see it: last answer, last error, failures in a row, and disabling one that has
// failed for longer than HERALD_WEBHOOK_DISABLE_AFTER_HOURS.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export async function recordEndpointSuccess(db: Kysely<Database>, endpointId: number, status: number): Promise<void> {
  await db
    .updateTable('webhookEndpoints')
    .set({ lastStatus: status, lastError: null, lastAttemptAt: sql<Date>`now()`, consecutiveFailures: 0, failingSince: null })
    .where('id', '=', endpointId)
    .execute();
}

/** Counts a failure; returns true when the endpoint is now disabled (failing since longer than `disableAfterHours`). */
export async function recordEndpointFailure(
  db: Kysely<Database>,
  endpointId: number,
  failure: { status: number | null; error: string },
  disableAfterHours: number,
): Promise<boolean> {
  const row = await db
    .updateTable('webhookEndpoints')
    .set({
      lastStatus: failure.status,
      lastError: failure.error,
      lastAttemptAt: sql<Date>`now()`,
      consecutiveFailures: sql<number>`consecutive_failures + 1`,
      failingSince: sql<Date>`coalesce(failing_since, now())`,
    })
    .where('id', '=', endpointId)
    .returning(['failingSince', 'disabledAt'])
    .executeTakeFirst();
  if (!row || row.disabledAt || !row.failingSince) return false;
  if (Date.now() - new Date(row.failingSince).getTime() < disableAfterHours * 3600_000) return false;
  await db
    .updateTable('webhookEndpoints')
    .set({
      disabledAt: sql<Date>`now()`,
      disabledReason: `every delivery failed for more than ${disableAfterHours} hours (last: ${failure.error})`,
    })
    .where('id', '=', endpointId)
    .where('disabledAt', 'is', null)
    .execute();
  return true;
}
