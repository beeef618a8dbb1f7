// One round trip per round of a batch run: the answers the server gave since the last round are written and their
// room in the window is claimed again, in one statement (src/email/delivery-outcomes.ts writes, src/email/batch-claims.ts
// claims). Both commit together, so the rows a run holds `sending` never exceed its window, whatever the database's
// latency; a claim of none still reads the dispatch's status.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { claiming, type ClaimedDelivery } from './batch-claims.js';
import type { DeliveryOutcomes, DeliveryResult, RecordedDelivery } from './delivery-outcomes.js';

export interface Round {
  /** The answered deliveries as they now stand. */
  recorded: RecordedDelivery[];
  /** Nothing is claimed unless this is `running`: a paused or cancelled dispatch stops the run. */
  dispatchStatus: string;
  /** In claim order; `skipped` ones are readers who left since the fan-out. */
  claimed: ClaimedDelivery[];
}

export interface ClaimRequest {
  /** Deliveries this run must not take again (deferred for a retry, waiting with their group). */
  excludeIds: number[];
  /** Recipients at these domains stay pending: their provider group cannot take more now. */
  excludeDomains: string[];
  limit: number;
}

// node-postgres parses json columns; PGlite may hand them over as text.
const parsed = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export async function recordAndClaim(
  db: Kysely<Database>,
  outcomes: DeliveryOutcomes,
  batch: { dispatchId: number; batchNo: number },
  answers: DeliveryResult[],
  claim: ClaimRequest,
): Promise<Round> {
  const writes = answers.length > 0;
  const result = await sql<{ dispatchStatus: string; recorded: unknown; claimed: unknown }>`
    with ${sql.join([...(writes ? [outcomes.recording(answers)] : []), claiming(batch, { ids: claim.excludeIds, domains: claim.excludeDomains }, claim.limit)])}
    select coalesce((select status from dispatch), 'missing') as "dispatchStatus",
      ${writes
        ? sql`(select coalesce(json_agg(json_build_object('id', id, 'status', status, 'attempts', attempts, 'failure', failure)), '[]') from recorded)`
        : sql`'[]'::json`} as recorded,
      (select coalesce(json_agg(claimed order by claimed.id), '[]') from claimed) as claimed
  `.execute(db);
  const row = result.rows[0];
  const recorded = parsed<RecordedDelivery[]>(row.recorded).map((r) => ({ ...r, id: Number(r.id) }));
  const claimed = parsed<ClaimedDelivery[]>(row.claimed).map((r) => ({ ...r, id: Number(r.id), subscriberId: Number(r.subscriberId) }));
  return { recorded, dispatchStatus: row.dispatchStatus, claimed };
}
