// DKIM signing off the event loop: a few node:worker_threads that sign finished messages (signing-thread.ts), so
// the RSA work of one message overlaps the SMTP round trips of the others instead of stalling every connection.
// The pool keeps no queue of its own: what waits here is what the batch sender's window (EMAIL_SEND_CHUNK) has in
// flight, so memory stays bounded by that window however long the edition.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TransientFailure } from '../../delivery/failure.js';
import { dkimSigner, type DkimIdentity } from './dkim-signature.js';
import type { SigningAnswer, SigningRequest } from './signing-thread.js';

/**
 * What a thread runs: compiled, the .js next to this file; from source (tsx, vitest), the .ts through tsx's loader,
 * which a thread does not inherit (hence a one-line script that imports it).
 */
function threadEntry(): { filename: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { filename: new URL('./signing-thread.js', import.meta.url), eval: false };
  const source = JSON.stringify(new URL('./signing-thread.ts', import.meta.url).href);
  // tsx's ESM API by its file: its `require` build cannot load it, and an eval'd script resolves from the cwd.
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = JSON.stringify(pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href);
  return { filename: `import(${tsx}).then(({ tsImport }) => tsImport(${source}, ${source}))`, eval: true };
}

/**
 * Threads a message may lose before its send fails. Signing sends nothing, so handing the message to a fresh thread
 * cannot duplicate it; the limit only keeps a message that kills every thread from doing so for ever. Its send then
 * fails as transient (nothing left us) and the batch retries it.
 */
const ATTEMPTS_PER_MESSAGE = 2;

/** How long closing waits for the messages being signed (a signature takes about a millisecond). */
const CLOSE_GRACE_MS = 5_000;

/**
 * DKIM_SIGNING_THREADS' default: every core but the one the event loop needs, at most 4. One thread signs a few
 * thousand RSA-2048 messages a second, more than one process' SMTP pool carries (docs/ARCHITECTURE.md).
 */
export function defaultSigningThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

interface Job {
  message: Buffer;
  attempts: number;
  resolve(signed: Buffer): void;
  reject(error: unknown): void;
}

interface SigningThread {
  worker: Worker;
  /** Messages handed to this thread and not answered yet, by request id. */
  jobs: Map<number, Job>;
  /** Exited, crashed or terminated: its answers no longer count. */
  gone: boolean;
}

export class DkimSigningPool {
  private readonly threads = new Set<SigningThread>();
  private nextId = 1;
  private pending = 0;
  private whenIdle: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly identity: DkimIdentity,
    /** The most threads it starts; they start as the work needs them, so an idle transport has none. */
    private readonly maxThreads: number,
  ) {
    // A key that cannot sign stops the transport from opening, here and with its reason, not later in each thread.
    dkimSigner(identity);
  }

  /** The message with its DKIM-Signature header in front; rejects only with a TransientFailure (nothing was sent). */
  sign(message: Buffer): Promise<Buffer> {
    if (this.closing) {
      return Promise.reject(new TransientFailure('DKIM signing has stopped: the transport is closing', 'dkim_closed'));
    }
    this.pending++;
    return new Promise<Buffer>((resolve, reject) => this.dispatch({ message, attempts: 0, resolve, reject })).finally(() => {
      if (--this.pending === 0) this.whenIdle?.();
    });
  }

  /** The threads running now (started as the work needs them). */
  runningThreads(): Worker[] {
    return [...this.threads].map((thread) => thread.worker);
  }

  /**
   * Messages being signed finish first (their sends go on), for at most CLOSE_GRACE_MS; then every thread ends, and
   * a message a stuck thread still held fails its send as not sent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.pending > 0) {
        await new Promise<void>((resolve) => {
          this.whenIdle = resolve;
          setTimeout(resolve, CLOSE_GRACE_MS).unref();
        });
      }
      await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
    })();
    return this.closing;
  }

  private dispatch(job: Job): void {
    let thread: SigningThread;
    try {
      thread = this.leastBusy();
    } catch (error) {
      // No thread could start (out of memory, too many threads): this message is not sent, the batch retries it.
      job.reject(new TransientFailure(`DKIM signing thread could not start: ${String(error)}`, 'dkim_thread_lost'));
      return;
    }
    const id = this.nextId++;
    // Only a thread with work holds the process open: an idle one never keeps a CLI command from exiting.
    if (thread.jobs.size === 0) thread.worker.ref();
    thread.jobs.set(id, job);
    job.attempts++;
    thread.worker.postMessage({ id, message: job.message } satisfies SigningRequest);
  }

  private leastBusy(): SigningThread {
    let best: SigningThread | undefined;
    for (const thread of this.threads) if (!best || thread.jobs.size < best.jobs.size) best = thread;
    if (best && (best.jobs.size === 0 || this.threads.size >= this.maxThreads)) return best;
    return this.spawn();
  }

  private spawn(): SigningThread {
    const entry = threadEntry();
    const worker = new Worker(entry.filename, { eval: entry.eval, workerData: this.identity });
    const thread: SigningThread = { worker, jobs: new Map(), gone: false };
    worker.unref();
    worker.on('message', (answer: SigningAnswer) => this.answered(thread, answer));
    worker.on('error', (error) => this.lost(thread, error.message));
    worker.on('exit', (code) => this.lost(thread, `exit code ${code}`));
    this.threads.add(thread);
    return thread;
  }

  private answered(thread: SigningThread, answer: SigningAnswer): void {
    const job = thread.jobs.get(answer.id);
    if (thread.gone || !job) return;
    thread.jobs.delete(answer.id);
    if (thread.jobs.size === 0) thread.worker.unref();
    if ('error' in answer) job.reject(new TransientFailure(`DKIM signing failed: ${answer.error}`, 'dkim_sign_failed'));
    else job.resolve(Buffer.concat([Buffer.from(`${answer.header}\r\n`, 'latin1'), job.message]));
  }

  /** A thread that died takes no message with it: each goes to another thread, started if need be. */
  private lost(thread: SigningThread, reason: string): void {
    if (thread.gone) return;
    thread.gone = true;
    this.threads.delete(thread);
    const jobs = [...thread.jobs.values()];
    thread.jobs.clear();
    for (const job of jobs) {
      if (job.attempts < ATTEMPTS_PER_MESSAGE && !this.closing) this.dispatch(job);
      else job.reject(new TransientFailure(`DKIM signing thread stopped (${reason}); the message was not sent`, 'dkim_thread_lost'));
    }
  }
}
