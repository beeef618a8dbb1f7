// SIGTERM and SIGINT stop a process gracefully: Herald closes in order (no new claims, chunks in flight finish and
// are recorded, the SMTP pool closes), and the process exits within the grace period even if something hangs
// (a silent server): what was left `sending` is settled by the uncertain-delivery policy when its batch resumes.
import type { Logger } from 'pino';

export interface Closable {
  close(): Promise<void>;
}

export interface GracefulStopOptions {
  graceMs: number;
  log: Logger;
  /** Ends the process; replaced in tests. */
  exit?: (code: number) => void;
}

/** Resolves once a signal arrived and the process was closed (or the grace period ran out). */
export function stopOnSignals(target: Closable, options: GracefulStopOptions): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        options.log.warn({ event: 'shutdown.forced', signal }, 'second signal: exiting now');
        return exit(1);
      }
      stopping = true;
      options.log.info({ event: 'shutdown', signal, graceMs: options.graceMs }, 'shutting down');
      const deadline = setTimeout(() => {
        options.log.error({ event: 'shutdown.grace_exceeded', graceMs: options.graceMs },
          'shutdown took longer than HERALD_SHUTDOWN_GRACE_MS; exiting with work in flight');
        exit(1);
      }, options.graceMs);
      deadline.unref();
      target
        .close()
        .catch((error: unknown) => options.log.warn({ event: 'shutdown.error', err: error }, 'error while closing'))
        .finally(() => {
          clearTimeout(deadline);
          options.log.info({ event: 'shutdown.done', signal }, 'stopped');
          resolve();
          exit(0);
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
