// How each step of a dispatch is put on its queue, under its deterministic job id: used when the step is first
// queued and when the queue reconciler puts back one that Redis lost, so both queue exactly the same job.
import type { FlowProducer } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, jobIds, QUEUE_NAMES, type Queues } from '../queue/queues.js';
import type { WaveRow } from '../db/schema.js';
import type { Clock } from '../runtime/clock.js';
import type { SocialJobData } from '../social/start-social.js';
import { jobPriority, type DispatchPriority } from './priority.js';

/** The name of a social job that deletes a retracted post (the others, `post`, post one). */
export const SOCIAL_RETRACT_JOB = 'retract';

/** The name of a social job that posts or makes one correction (src/social/social-corrector.ts). */
export const SOCIAL_CORRECT_JOB = 'correct';
/** The name of an email-batch job that mails one correction to its readers (src/email/correction-mailer.ts). */
export const CORRECTION_MAIL_JOB = 'correction';

/** What a `correct` job carries: the correction delivery's id only; the worker re-reads the row. */
export interface SocialCorrectionJobData {
  correctionDeliveryId: number;
  network: string;
}

/** The email edition's render (child) and fan-out (parent): the fan-out runs only once the edition is rendered. */
export async function queueEmailEdition(flows: FlowProducer, dispatchId: number, priority: DispatchPriority): Promise<void> {
  const opts = { ...DEFAULT_JOB_OPTIONS, priority: jobPriority(priority) };
  await flows.add({
    name: 'fanout',
    queueName: QUEUE_NAMES.dispatch,
    data: { dispatchId },
    opts: { ...opts, jobId: jobIds.emailFanOut(dispatchId) },
    children: [
      { name: 'render', queueName: QUEUE_NAMES.dispatch, data: { dispatchId }, opts: { ...opts, jobId: jobIds.emailRender(dispatchId) } },
    ],
  });
}

/** The fan-out alone, for an edition that is already rendered. */
export async function queueFanOut(queues: Queues, dispatchId: number, priority: DispatchPriority): Promise<void> {
  await queues.dispatch.add('fanout', { dispatchId }, { jobId: jobIds.emailFanOut(dispatchId), priority: jobPriority(priority) });
}

export async function queueEmailBatch(queues: Queues, dispatchId: number, batchNo: number, priority: DispatchPriority): Promise<void> {
  await queues.emailBatch.add('batch', { dispatchId, batchNo }, { jobId: jobIds.emailBatch(dispatchId, batchNo), priority: jobPriority(priority) });
}

export async function queueSocialPost(queues: Queues, data: SocialJobData, priority: DispatchPriority): Promise<void> {
  await queues.social.add('post', data, { jobId: jobIds.social(data.dispatchId, data.network), priority: jobPriority(priority) });
}

/**
 * Deleting one retracted post (src/social/social-retractor.ts), on the social queue beside the posts. No priority:
 * BullMQ runs it ahead of every (prioritised) post, breaking news included, since a retraction is the most urgent.
 */
export async function queueSocialRetraction(queues: Queues, data: SocialJobData): Promise<void> {
  await queues.social.add(SOCIAL_RETRACT_JOB, data, { jobId: jobIds.socialRetraction(data.deliveryId) });
}

export async function queueStart(queues: Pick<Queues, 'dispatch'>, dispatchId: number, scheduledAt: Date | null, priority: DispatchPriority): Promise<void> {
  const delay = scheduledAt ? Math.max(0, scheduledAt.getTime() - Date.now()) : 0;
  await queues.dispatch.add('start', { dispatchId }, { jobId: jobIds.dispatchStart(dispatchId), delay, priority: jobPriority(priority) });
}

/** One reply or edit of a correction, beside the posts and retractions (no priority: ahead of prioritised posts). */
export async function queueSocialCorrection(queues: Queues, data: SocialCorrectionJobData): Promise<void> {
  await queues.social.add(SOCIAL_CORRECT_JOB, data, { jobId: jobIds.socialCorrection(data.correctionDeliveryId) });
}

/** A correction's email to all its readers: one job, which claims the rows in chunks (rows decide who is left). */
export async function queueCorrectionMail(queues: Queues, correctionId: number): Promise<void> {
  await queues.emailBatch.add(CORRECTION_MAIL_JOB, { correctionId }, { jobId: jobIds.correctionMail(correctionId) });
}

/** What a wave job carries: ids only; the wave's row says when and whom. */
export interface WaveJobData {
  dispatchId: number;
  waveNo: number;
}

/**
 * A wave's job, delayed until its fire instant read on Herald's clock (BullMQ waits by Date.now(); the difference
 * between the two is taken off, as for the digest schedulers).
 */
export async function queueWave(
  queues: Pick<Queues, 'dispatch'>,
  wave: Pick<WaveRow, 'dispatchId' | 'waveNo' | 'fireAt'>,
  priority: DispatchPriority,
  clock: Clock,
): Promise<void> {
  const data: WaveJobData = { dispatchId: wave.dispatchId, waveNo: wave.waveNo };
  const delay = Math.max(0, wave.fireAt.getTime() - clock.now());
  await queues.dispatch.add('wave', data, { jobId: jobIds.wave(wave.dispatchId, wave.waveNo), delay, priority: jobPriority(priority) });
}
