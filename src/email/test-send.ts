// A test send: the edition of a dispatch to one address an editor names, through the worker's SMTP pool. It is no
// delivery (nothing is recorded against the dispatch) and says so in its subject.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EditionSettings } from './edition-service.js';
import { previewEdition } from './edition-preview.js';
import type { TransactionalMessage } from './transactional-sender.js';

/** Job name on the `dispatch` queue (handled in workers/dispatch-worker.ts). */
export const TEST_SEND_JOB = 'test-send';

export interface TestSendJob {
  dispatchId: number;
  email: string;
}

export async function composeTestSend(
  db: Kysely<Database>,
  settings: Pick<EditionSettings, 'publicUrl' | 'listName' | 'postalAddress'>,
  job: TestSendJob,
): Promise<TransactionalMessage | undefined> {
  const edition = await previewEdition(db, job.dispatchId, settings);
  if (!edition) return undefined;
  return { to: job.email, subject: `[Test] ${edition.subject}`, html: edition.html, text: edition.text };
}
