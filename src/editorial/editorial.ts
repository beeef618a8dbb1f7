// The application layer: every use case an editor, a CMS or a feed triggers, bound once to its dependencies by the
// composition root. Entry points (API, dashboard, CMS webhook, feed worker) only translate input and outcome.
import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { ArticleInput } from '../articles/article-input.js';
import type { Database } from '../db/schema.js';
import type { ControlOutcome } from '../dispatch/dispatch-control.js';
import type { RescheduleInput } from '../dispatch/reschedule.js';
import type { EditionSettings } from '../email/edition-service.js';
import type { Queues } from '../queue/queues.js';
import type { Metrics } from '../runtime/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { cancel, type CancelOutcome } from './cancel.js';
import { correct, type CorrectionRequest, type CorrectOutcome } from './correct.js';
import { publish, type PublishOutcome } from './publish.js';
import { resolveDelivery, type Resolution, type ResolveOutcome } from './resolve-delivery.js';
import { retract, type RetractOutcome } from './retract.js';
import { pause, release, reschedule, resume } from './steer.js';
import { testSend, type TestSendOutcome } from './test-send.js';

export interface EditorialDeps {
  db: Kysely<Database>;
  queues: Queues;
  relay: { kick(): void };
  metrics: Pick<Metrics, 'published'>;
  /** Read at each use: PUBLIC_URL is only final once the HTTP port is bound. */
  editionSettings: () => EditionSettings;
  /** The clock local-time waves are timed on. */
  clock?: Clock;
}

/** `cause` in each names who acted, for the event log (`api:<token>`, `dashboard:<editor>`, `cms:ghost`, …). */
export interface Editorial {
  publish(input: ArticleInput, cause: string): Promise<PublishOutcome>;
  cancel(dispatchId: number, cause: string): Promise<CancelOutcome>;
  reschedule(dispatchId: number, input: RescheduleInput, cause: string): Promise<ControlOutcome>;
  release(dispatchId: number, cause: string): Promise<ControlOutcome>;
  pause(dispatchId: number, cause: string): Promise<ControlOutcome>;
  resume(dispatchId: number, cause: string): Promise<ControlOutcome>;
  testSend(dispatchId: number, email: string): Promise<TestSendOutcome>;
  resolveDelivery(deliveryId: number, resolution: Resolution, cause: string): Promise<ResolveOutcome>;
  /** Withdraws an article everywhere: unsent email cancelled, its posts deleted, its web copy replaced. */
  retract(articleId: number, reason: string, cause: string): Promise<RetractOutcome>;
  /** Corrects an article that went out: a short email to its readers and/or a reply under (or edit of) each post. */
  correct(articleId: number, request: CorrectionRequest, cause: string): Promise<CorrectOutcome>;
}

export function createEditorial(deps: EditorialDeps): Editorial {
  const dispatchQueue: Queue = deps.queues.dispatch;
  return {
    publish: (input, cause) => publish(deps, input, cause),
    cancel: (id, cause) => cancel(deps, id, cause),
    reschedule: (id, input, cause) => reschedule(deps, id, input, cause),
    release: (id, cause) => release(deps, id, cause),
    pause: (id, cause) => pause(deps, id, cause),
    resume: (id, cause) => resume(deps, id, cause),
    testSend: (id, email) => testSend({ db: deps.db, dispatchQueue, editionSettings: deps.editionSettings }, id, email),
    resolveDelivery: (id, resolution, cause) => resolveDelivery(deps, id, resolution, cause),
    retract: (id, reason, cause) => retract(deps, id, reason, cause),
    correct: (id, request, cause) => correct(deps, id, request, cause),
  };
}
