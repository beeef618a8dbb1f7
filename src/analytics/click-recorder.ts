// Counts a click after its redirect has been answered: classifies it (src/analytics/machine-clicks.ts and the burst
// memory) and adds it to the Redis counters: every click of one event-loop turn in one MULTI (one round trip for a
// burst, not three commands per click). Never throws into the request; failures are logged.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ClickBursts } from './click-bursts.js';
import { bucketOf, counterField, type ClickKeys } from './click-keys.js';
import type { ClickClaims } from './click-tokens.js';
import { CANARY_POSITION } from './link-tracker.js';
import { requestVerdict, type MachineReason } from './machine-clicks.js';

export interface ClickRequest {
  method: string;
  userAgent?: string;
  at: Date;
}

export interface ClickRecorderOptions {
  /** HERALD_CLICK_ATTRIBUTION: also count per delivery. Off: nothing written names the delivery. */
  attribution: boolean;
}

export class ClickRecorder {
  private readonly bursts = new ClickBursts();
  private readonly pending = new Set<Promise<void>>();
  /** Increments gathered this turn: hash key → field → delta; sent together at the next setImmediate. */
  private batch: Map<string, Map<string, number>> | undefined;
  private batchSent: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ClickKeys,
    private readonly options: ClickRecorderOptions,
    private readonly log: Logger,
  ) {}

  /** Counts the click in the background; the caller has already answered (or is answering) the request. */
  record(click: ClickClaims, request: ClickRequest): void {
    const done = this.count(click, request)
      .catch((error: unknown) => this.log.warn({ event: 'clicks.record_failed', dispatchId: click.dispatchId, err: error }, 'a click was not counted'))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /**
   * Resolves once every click recorded so far is in Redis (the flush waits for it, and so can tests), or after
   * `timeoutMs`: with Redis away the counts wait in its client's queue, and a flush or a shutdown must not wait forever.
   */
  async settled(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now())));
      await Promise.race([Promise.all([...this.pending]), timeout]);
      clearTimeout(timer);
    }
  }

  private async count(click: ClickClaims, request: ClickRequest): Promise<void> {
    const { dispatchId, position, reader } = click;
    const canary = position === CANARY_POSITION;
    let machine: MachineReason | undefined = requestVerdict(request) ?? (canary ? 'canary' : undefined);
    let reclassify: number[] = [];
    if (reader) {
      const verdict = this.bursts.observe(`${dispatchId}.${reader.deliveryId}`, {
        at: request.at.getTime(), position, sentAt: reader.sentAt, canary, machine,
      });
      machine = verdict.machine;
      reclassify = verdict.reclassify;
    }
    const bucket = bucketOf(request.at);
    const add: [string, string, number][] = [
      [this.keys.links, counterField(dispatchId, position, Boolean(machine)), 1],
      [this.keys.buckets, counterField(dispatchId, bucket, Boolean(machine)), 1],
    ];
    // Clicks first taken for a person's, now known to be the scanner's: moved, so the total stays the same. (In the
    // buckets they move within this click's bucket: a burst lasts seconds, so at most a bucket boundary apart.)
    for (const earlier of reclassify) {
      add.push([this.keys.links, counterField(dispatchId, earlier, false), -1], [this.keys.links, counterField(dispatchId, earlier, true), 1]);
      add.push([this.keys.buckets, counterField(dispatchId, bucket, false), -1], [this.keys.buckets, counterField(dispatchId, bucket, true), 1]);
    }
    if (this.options.attribution && reader) {
      add.push([this.keys.deliveries, counterField(dispatchId, reader.deliveryId, Boolean(machine)), 1]);
      if (reclassify.length > 0) {
        add.push([this.keys.deliveries, counterField(dispatchId, reader.deliveryId, false), -reclassify.length]);
        add.push([this.keys.deliveries, counterField(dispatchId, reader.deliveryId, true), reclassify.length]);
      }
    }
    await this.increment(add);
  }

  /** Adds to this turn's batch; resolves once the batch is in Redis. */
  private increment(add: [string, string, number][]): Promise<void> {
    if (!this.batch) {
      this.batch = new Map();
      this.batchSent = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.sendBatch());
    }
    for (const [key, field, delta] of add) {
      const fields = this.batch.get(key) ?? new Map<string, number>();
      fields.set(field, (fields.get(field) ?? 0) + delta);
      this.batch.set(key, fields);
    }
    return this.batchSent!;
  }

  /**
   * One MULTI: the flush renames a hash aside atomically, so a batch lands whole in the old hash or whole in the new
   * one, and a move (−1 human, +1 machine) is never split between two flushes.
   */
  private async sendBatch(): Promise<void> {
    const batch = this.batch!;
    this.batch = undefined;
    const multi = this.redis.multi();
    for (const [key, fields] of batch) {
      for (const [field, delta] of fields) if (delta !== 0) multi.hincrby(key, field, delta);
    }
    await multi.exec();
  }
}
