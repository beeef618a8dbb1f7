// Keeps what the SMTP server already said until the database has written it down. A chunk's outcomes exist only in
// this process between the server's reply and the write; losing them during a database outage would leave the rows
// `sending` and send those readers a second copy, so the write is retried (in memory) until the database takes it.
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/database-errors.js';

export interface OutcomeRecorderOptions {
  /** First wait after a failed write; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class OutcomeRecorder {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly log: Logger,
    options: OutcomeRecorderOptions = {},
  ) {
    this.initialDelayMs = options.initialDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
  }

  /**
   * Runs `write` until it succeeds. Only "the database is unavailable" is waited out; any other error is a real
   * failure and is thrown. `write` must be idempotent: after a lost reply it may already have committed.
   */
  async keep<T>(what: { dispatchId: number; batchNo: number; outcomes: number }, write: () => Promise<T>): Promise<T> {
    let delay = this.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await write();
        if (attempt > 1) this.log.info({ event: 'email.outcomes.recorded_late', ...what, attempts: attempt }, 'outcomes held during the database outage are recorded');
        return result;
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        if (attempt === 1) {
          this.log.warn({ event: 'email.outcomes.held', ...what, err: error }, 'database unavailable: holding the chunk\'s outcomes until it answers');
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(this.maxDelayMs, delay * 2);
      }
    }
  }
}
