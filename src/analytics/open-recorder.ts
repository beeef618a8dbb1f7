// Counts a pixel fetch after the GIF has been answered: classifies it (src/analytics/machine-opens.ts) and adds it to
// the Redis counters in one round trip, flushed with the clicks. Never throws into the request; failures are logged.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { counterField, type ClickKeys } from './click-keys.js';
import { machineOpen, type OpenRequest } from './machine-opens.js';
import type { OpenClaims } from './open-tokens.js';

export interface OpenRecorderOptions {
  /** HERALD_CLICK_ATTRIBUTION: also count per delivery. Off: nothing written names the delivery. */
  attribution: boolean;
}

/** The edition's open counters sit in the per-link hash format with this id. */
const EDITION_ID = 0;

export class OpenRecorder {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: ClickKeys,
    private readonly options: OpenRecorderOptions,
    private readonly log: Logger,
  ) {}

  /** Counts the open in the background. A pixel of the web copy or a preview (no reader) is nobody's open. */
  record(open: OpenClaims, request: OpenRequest): void {
    const { reader } = open;
    if (!reader) return;
    const machine = Boolean(machineOpen(request, reader.sentAt));
    const multi = this.redis.multi();
    multi.hincrby(this.keys.opens, counterField(open.dispatchId, EDITION_ID, machine), 1);
    if (this.options.attribution) multi.hincrby(this.keys.deliveryOpens, counterField(open.dispatchId, reader.deliveryId, machine), 1);
    const done = multi.exec()
      .then(() => undefined)
      .catch((error: unknown) => this.log.warn({ event: 'opens.record_failed', dispatchId: open.dispatchId, err: error }, 'an open was not counted'))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Resolves once every open recorded so far is in Redis, or after `timeoutMs` (see ClickRecorder.settled). */
  async settled(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all([...this.pending]), timeout]);
    clearTimeout(timer);
  }
}
