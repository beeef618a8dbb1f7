// The batch sender's statements over its deliveries: claiming the next pending ones (the subscriber's status read
// in the same statement), settling those a dead worker left `sending`, and marking what waits for the warm-up.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A delivery as the claim hands it over: its attempts already include the one about to be made. */
export interface ClaimedDelivery {
  id: number;
  status: string;
  attempts: number;
  subscriberId: number;
  email: string;
  name: string | null;
}

const jsonArray = (values: unknown[]) => JSON.stringify(values);

/**
 * Takes the next few pending deliveries of the batch. The subscriber's status is read in the same statement:
 * anyone who unsubscribed, bounced or paused since the fan-out is skipped, right up to the moment of sending.
 * `excludeDomains`: recipients at these domains are left pending (their provider group is waiting out a throttle).
 */
export async function claimDeliveries(
  db: Kysely<Database>,
  batch: { dispatchId: number; batchNo: number },
  exclude: { ids: number[]; domains: string[] },
  limit: number,
): Promise<ClaimedDelivery[]> {
  const byDomain = exclude.domains.length > 0
    ? sql`and (s0.email is null or not (lower(substring(s0.email from '[^@]*$')) = any(array(select jsonb_array_elements_text(${jsonArray(exclude.domains)}::jsonb)))))`
    : sql``;
  const result = await sql<ClaimedDelivery>`
    with next as (
      select d.id, d.subscriber_id from deliveries d
      left join subscribers s0 on s0.id = d.subscriber_id
      where d.dispatch_id = ${batch.dispatchId} and d.batch_no = ${batch.batchNo} and d.status = 'pending'
        and not (d.id = any(array(select jsonb_array_elements_text(${jsonArray(exclude.ids)}::jsonb)::bigint)))
        ${byDomain}
      order by d.id
      limit ${limit}
      for update of d skip locked
    )
    update deliveries d set
      status = case when s.status = 'confirmed' and not s.paused then 'sending' else 'skipped' end,
      attempts = d.attempts + case when s.status = 'confirmed' and not s.paused then 1 else 0 end,
      last_response = case when s.status = 'confirmed' and not s.paused then d.last_response
                           else 'subscriber is ' || coalesce(case when s.paused then 'paused' else s.status end, 'erased') end,
      updated_at = now()
    from next left join subscribers s on s.id = next.subscriber_id
    where d.id = next.id
    returning d.id, d.status, d.attempts, next.subscriber_id as "subscriberId", s.email, s.name
  `.execute(db);
  return result.rows.map((r) => ({ ...r, id: Number(r.id), subscriberId: Number(r.subscriberId) }));
}

/**
 * Deliveries still `sending` when a batch starts were in flight when a worker died: the server may or may not
 * have accepted them. Policy decides: back to pending (resend) or `uncertain` (an editor decides). `ownInFlight`:
 * this process' stragglers, still in flight, which will record themselves.
 */
export async function settleInterrupted(
  db: Kysely<Database>,
  batch: { dispatchId: number; batchNo: number },
  to: 'pending' | 'uncertain',
  ownInFlight: number[],
): Promise<number[]> {
  const rows = await db
    .updateTable('deliveries')
    .set({ status: to, lastResponse: 'interrupted: outcome unknown', failure: 'uncertain', updatedAt: sql<Date>`now()` })
    .where('dispatchId', '=', batch.dispatchId)
    .where('batchNo', '=', batch.batchNo)
    .where('status', '=', 'sending')
    .$if(ownInFlight.length > 0, (q) => q.where('id', 'not in', ownInFlight))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** What still waits in the batch says why (the dispatch's deliveries show it), unless it has its own last answer. */
export async function markWaiting(db: Kysely<Database>, batch: { dispatchId: number; batchNo: number }, why: string): Promise<void> {
  await sql`update deliveries set last_response = ${why}, updated_at = now()
    where dispatch_id = ${batch.dispatchId} and batch_no = ${batch.batchNo} and status = 'pending'
      and (last_response is null or last_response like 'waiting:%')`.execute(db);
}
