// A background pass that runs at start, on a timer and on demand, one at a time: the loop the outbox relay, the
// queue reconciler and the delivery rollup share. It never throws; a failed pass goes to `onError` and the next one
// tries again.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface PeriodicPassOptions {
  intervalMs: number;
  /** A kick during a pass runs another right after it (the relay: a publish must not wait a whole interval). */
  rerunWhenKicked?: boolean;
  /**
   * One process per interval across all of them: the first to take this Redis lock runs the pass, the others skip it.
   * The lock expires on its own a little before the next interval (its holder may die), so it is never released.
   */
  oncePerInterval?: { redis: Redis; lockKey: string };
  onError(error: unknown): void;
}

export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly pass: () => Promise<void>;

  constructor(
    pass: () => Promise<void>,
    private readonly options: PeriodicPassOptions,
  ) {
    const exclusive = options.oncePerInterval;
    if (!exclusive) {
      this.pass = pass;
      return;
    }
    const token = randomUUID();
    const lockMs = Math.max(500, Math.floor(options.intervalMs * 0.8));
    this.pass = async () => {
      if ((await exclusive.redis.set(exclusive.lockKey, token, 'PX', lockMs, 'NX')) === 'OK') await pass();
    };
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a pass now unless one is in progress (then, with `rerunWhenKicked`, right after it). */
  kick(): void {
    if (this.running) {
      if (this.options.rerunWhenKicked) this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops the timer and waits for the pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.running;
  }
}
