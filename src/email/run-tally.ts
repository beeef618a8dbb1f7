// What one run of a batch has come to so far, as the database recorded it: the counts the job reports, and the
// deliveries that must not be claimed again in this run (deferred for a retry, or waiting with their provider group).
import type { DeliveryResult, RecordedDelivery } from './delivery-outcomes.js';

export class RunTally {
  readonly totals = { sent: 0, failed: 0, blocked: 0, skipped: 0 };
  /** Deliveries that went back to pending after a temporary failure, with their attempts: not claimed until the retry. */
  readonly deferred = new Map<number, number>();
  /** Deliveries handed back to pending for their provider group's pace, by id → group: not claimed again this run. */
  readonly paced = new Map<number, string>();
  /** Groups whose readers were left unclaimed because the group is waiting out a throttle. */
  readonly behindPause = new Set<string>();

  /** Counts one write's rows, as they now stand, against the results it wrote. */
  count(results: DeliveryResult[], rows: RecordedDelivery[]): void {
    const handedBack = new Set(results.filter((r) => r.status === 'paced').map((r) => r.id));
    for (const row of rows) {
      if (row.status === 'sent') this.totals.sent++;
      else if (row.status === 'failed') this.totals.failed++;
      else if (row.status === 'blocked') this.totals.blocked++;
      else if (row.status === 'pending' && !this.paced.has(row.id) && !handedBack.has(row.id)) this.deferred.set(row.id, row.attempts);
    }
  }

  /** Ids a claim of this run leaves out. */
  excluded(): number[] {
    return [...this.deferred.keys(), ...this.paced.keys()];
  }
}
