// The batch sender's statements over its deliveries: claiming the next pending ones (the dispatch's and each
// subscriber's status read in the same statement), settling those a dead worker left `sending`, and marking what
// waits for the warm-up; counting what is left and closing the batch.
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
 * The statement's part that takes the next few pending deliveries of the batch, if its dispatch is still running:
 * CTEs `dispatch` (its status) and `claimed` (each delivery taken: id, status, attempts, "subscriberId", email,
 * name). The dispatch's status is read in the same statement (no separate re-read per claim), and so is each
 * subscriber's: anyone who unsubscribed, bounced or paused since the fan-out is skipped, right up to the moment of
 * sending. Rows are taken by a status change under FOR UPDATE SKIP LOCKED, so two runs never take the same delivery.
 * `exclude.domains`: recipients at these domains are left pending (their provider group is waiting out a throttle).
 * src/email/record-and-claim.ts runs it, with the previous answers written in the same statement.
 */
export function claiming(batch: { dispatchId: number; batchNo: number }, exclude: { ids: number[]; domains: string[] }, limit: number) {
  const byDomain = exclude.domains.length > 0
    ? sql`and (s0.email is null or not (lower(substring(s0.email from '[^@]*$')) = any(array(select jsonb_array_elements_text(${jsonArray(exclude.domains)}::jsonb)))))`
    : sql``;
  const byId = exclude.ids.length > 0
    ? sql`and not (d.id = any(array(select jsonb_array_elements_text(${jsonArray(exclude.ids)}::jsonb)::bigint)))`
    : sql``;
  return sql`
    dispatch as (select status from dispatches where id = ${batch.dispatchId}),
    next as (
      select d.id, d.subscriber_id from deliveries d
      left join subscribers s0 on s0.id = d.subscriber_id
      where (select status from dispatch) = 'running'
        and d.dispatch_id = ${batch.dispatchId} and d.batch_no = ${batch.batchNo} and d.status = 'pending'
        ${byId}
        ${byDomain}
      order by d.id
      limit ${limit}
      for update of d skip locked
    ),
    claimed as (
      update deliveries d set
        status = case when s.status = 'confirmed' and not s.paused then 'sending' else 'skipped' end,
        attempts = d.attempts + case when s.status = 'confirmed' and not s.paused then 1 else 0 end,
        last_response = case when s.status = 'confirmed' and not s.paused then d.last_response
                             else 'subscriber is ' || coalesce(case when s.paused then 'paused' else s.status end, 'erased') end,
        updated_at = now()
      from next left join subscribers s on s.id = next.subscriber_id
      where d.id = next.id
      returning d.id, d.status, d.attempts, next.subscriber_id as "subscriberId", s.email, s.name
    )`;
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

/** Deliveries of the batch still waiting to be claimed. */
export async function pendingCount(db: Kysely<Database>, batch: { dispatchId: number; batchNo: number }): Promise<number> {
  const row = await db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dispatchId', '=', batch.dispatchId).where('batchNo', '=', batch.batchNo).where('status', '=', 'pending').executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Marks a batch finished: after its last delivery, or early when its dispatch was cancelled (the rest stays unsent). */
export async function closeBatch(db: Kysely<Database>, batch: { dispatchId: number; batchNo: number }): Promise<void> {
  await db.updateTable('emailBatches').set({ status: 'done', updatedAt: sql<Date>`now()` })
    .where('dispatchId', '=', batch.dispatchId).where('batchNo', '=', batch.batchNo).execute();
}
