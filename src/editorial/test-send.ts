// Use case: mail a dispatch's edition to one address as a test. The worker holds the SMTP pool, so this queues a job
// and waits a while for it; it renders first, so an article that cannot become an edition is refused right away.
import { randomUUID } from 'node:crypto';
import { Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { previewEdition } from '../email/edition-preview.js';
import { EditionRenderError } from '../email/edition-renderer.js';
import type { EditionSettings } from '../email/edition-service.js';
import { TEST_SEND_JOB, type TestSendJob } from '../email/test-send.js';

/** How long a test send waits for the worker before answering that it is queued. */
const TEST_SEND_WAIT_MS = 20_000;
const POLL_MS = 150;

export interface TestSendDeps {
  db: Kysely<Database>;
  /** The dispatch queue, whose worker sends test editions. */
  dispatchQueue: Queue;
  /** Read at each call: PUBLIC_URL is only final once the HTTP port is bound. */
  editionSettings: () => EditionSettings;
  waitMs?: number;
}

export type TestSendOutcome =
  | { kind: 'sent'; to: string; response: string }
  /** No worker answered within the wait (none running?); the job stays queued. */
  | { kind: 'queued'; to: string; jobId: string | undefined }
  | { kind: 'not-found' }
  /** The article cannot become an edition (too large, a broken template…): nothing was queued. */
  | { kind: 'unrenderable'; code: string; message: string }
  /** The worker tried and gave up (the SMTP server refused it, say). */
  | { kind: 'failed'; reason: string };

export async function testSend(deps: TestSendDeps, id: number, email: string): Promise<TestSendOutcome> {
  try {
    if (!(await previewEdition(deps.db, id, deps.editionSettings()))) return { kind: 'not-found' };
  } catch (error) {
    if (error instanceof EditionRenderError) return { kind: 'unrenderable', code: error.code, message: error.message };
    throw error;
  }
  const queue = deps.dispatchQueue;
  const data: TestSendJob = { dispatchId: id, email };
  const job = await queue.add(TEST_SEND_JOB, data, {
    jobId: `test-send-${id}-${randomUUID()}`,
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 24 * 3600 },
  });
  const deadline = Date.now() + (deps.waitMs ?? TEST_SEND_WAIT_MS);
  while (Date.now() < deadline) {
    const current = await Job.fromId(queue, job.id!);
    const state = await current?.getState();
    if (state === 'completed') return { kind: 'sent', to: email, response: String(current!.returnvalue ?? '') };
    if (state === 'failed') return { kind: 'failed', reason: current!.failedReason };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return { kind: 'queued', to: email, jobId: job.id };
}
