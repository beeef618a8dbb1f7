// Sends one batch of an edition through a sliding window: up to `chunkSize` messages in flight, topped up as they
// finish, so one message that does not answer holds only itself. Each message waits for its provider group's pace
// (src/email/pacing): a group slowed down by a throttle holds back only its own readers. Each subscriber is
// re-checked at claim time and every outcome is recorded right after. Safe to re-run: only `pending` rows are ever
// claimed, so a retried or resumed batch skips everything already sent.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import type { Database } from '../db/schema.js';
import { type DeliveryFailure, RateLimited, TransientFailure } from '../delivery/failure.js';
import { recordEvents } from '../events/event-log.js';
import { cappedBackoffMs } from '../queue/job-outcome.js';
import { claimDeliveries, markWaiting, settleInterrupted, type ClaimedDelivery } from './batch-claims.js';
import { unlimitedPacing, type SendPacing } from './pacing/send-pacing.js';
import type { PaceTicket } from './pacing/provider-pacer.js';
import { WaitingRoom, type Waiting } from './pacing/waiting-room.js';
import { dayOf } from './pacing/warmup-schedule.js';
import { DeliveryOutcomes, type DeliveryResult } from './delivery-outcomes.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { ReputationGuard, type ReputationThresholds } from './reputation-guard.js';
import type { EmailTransport } from './transports/email-transport.js';

/** The reader one delivery of an edition goes to (src/email/mime-template.ts fills the message's slots from it). */
export interface Recipient {
  deliveryId: number;
  subscriberId: number;
  email: string;
  name: string | null;
}

/** The edition, compiled once; turns a recipient into the finished message. */
export interface EditionMessage {
  envelopeFrom: string;
  personalise(recipient: Recipient): { raw: Buffer; messageId: string };
}

export interface BatchSenderOptions {
  /** Messages of a batch in flight at once; also the most a crash can leave with an unknown outcome per batch. */
  chunkSize: number;
  /** A delivery whose outcome is unknown (crash, silence after DATA): send again (nobody missed) or hold. */
  uncertainPolicy: 'resend' | 'hold';
  /** Temporary failures are retried for `windowMs` after the first, the batch waiting `backoffMs`·2ⁿ (≤ `backoffMaxMs`). */
  retry: { windowMs: number; backoffMs: number; backoffMaxMs: number };
  /** Soft bounces in a row (across editions) that bounce a reader. */
  softBounceLimit: number;
  reputation: ReputationThresholds;
  /** Provider groups, their pace and the warm-up cap (src/email/pacing/send-pacing.ts); default: nothing limited. */
  pacing?: SendPacing;
}

export type BatchOutcome =
  | { kind: 'done'; sent: number; failed: number; blocked: number; skipped: number }
  /** Some deliveries failed temporarily (or the server is unreachable): run the batch again after `delayMs`. */
  | { kind: 'retry'; sent: number; deferred: number; delayMs: number; reason: string }
  /** The transport itself is pushing back (a provider API's account limit): pause the whole queue until `resetAt`. */
  | { kind: 'throttled'; resetAt: Date }
  /** Readers of provider groups that are slowed down were left pending: run the batch again after `delayMs`. */
  | { kind: 'paced'; sent: number; waiting: number; groups: string[]; delayMs: number }
  /** Today's warm-up cap is spent: the rest of the batch waits for the next day (`delayMs` from now). */
  | { kind: 'warmup_wait'; sent: number; cap: number; delayMs: number }
  /** The dispatch was paused (by an editor or the reputation guard) or cancelled: stop here. */
  | { kind: 'stopped'; status: string }
  /** This process is shutting down: nothing more was claimed, the rest of the batch goes back to the queue. */
  | { kind: 'handed_back' };


/**
 * How long a run that has nothing left to claim waits for its last messages before it lets them finish on their
 * own (a server silent after DATA holds a message until SMTP_SOCKET_TIMEOUT_MS): the job then frees its worker slot
 * for other batches and looks again every STRAGGLER_RECHECK_MS.
 */
const STRAGGLER_GRACE_MS = 5000;
const STRAGGLER_RECHECK_MS = 2000;
/**
 * A claimed message waits in its run for its group's pace at most about this long; readers whose group cannot take
 * them that soon go back to pending (attempt refunded) for a later run, and are not claimed while it waits.
 */
const HOLD_MS = 1000;

/** Why a run stops claiming before the batch is through. */
type Halt =
  | { kind: 'throttled'; resetAt: Date }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'stopped'; status: string }
  | { kind: 'handed_back' };

/** What one message came to; `pacedGroup`: its provider said "slow down", so it waits with its group. */
interface Delivered {
  result: DeliveryResult;
  halt?: Halt;
  pacedGroup?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class BatchSender {
  private readonly outcomes: DeliveryOutcomes;
  private readonly guard: ReputationGuard;
  private readonly pacing: SendPacing;
  /** Messages of this process still in flight after their run returned (stragglers), by delivery id → batch key. */
  private readonly stragglers = new Map<number, string>();
  /** Cleared by a graceful stop: runs finish what is in flight and claim nothing more. */
  private claiming = true;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly transport: EmailTransport,
    private readonly options: BatchSenderOptions,
    private readonly log: Logger,
    /** Holds outcomes the server already gave until the database takes them (a database outage sends nobody twice). */
    private readonly recorder = new OutcomeRecorder(log),
  ) {
    this.outcomes = new DeliveryOutcomes(db, { retryWindowMs: options.retry.windowMs, softBounceLimit: options.softBounceLimit }, log);
    this.guard = new ReputationGuard(db, options.reputation);
    this.pacing = options.pacing ?? unlimitedPacing();
  }

  /** Graceful stop: the chunks in flight finish and are recorded; no batch claims another. */
  stopClaiming(): void {
    this.claiming = false;
  }

  async send(dispatchId: number, batchNo: number, message: () => Promise<EditionMessage>): Promise<BatchOutcome> {
    await this.db
      .updateTable('emailBatches')
      .set({ status: 'running', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', '=', 'pending')
      .execute();
    const batch = { dispatchId, batchNo };
    const batchKey = `${dispatchId}/${batchNo}`;
    await this.settleInterrupted(dispatchId, batchNo);
    const edition = await message();
    const { pacer, directory, clock } = this.pacing;
    const totals = { sent: 0, failed: 0, blocked: 0, skipped: 0 };
    /** Deliveries that went back to pending in this run, with their attempts: not claimed again until the retry. */
    const deferred = new Map<number, number>();
    /** Deliveries handed back to pending for their provider group's pace, by id → group: not claimed again this run. */
    const paced = new Map<number, string>();
    /** Groups whose readers were left unclaimed because the group is waiting out a throttle. */
    const behindPause = new Set<string>();
    const held = new WaitingRoom<ClaimedDelivery>(pacer, HOLD_MS);
    const inFlight = new Map<number, Promise<void>>();
    let settled: DeliveryResult[] = [];
    let halt: Halt | undefined;
    let exhausted = false;
    let detached = false;
    /** The last claim found only readers of groups that cannot take more yet: claim again once something changes. */
    let paceBlocked = false;
    /** Warm-up slots of `day` this run reserved and has not handed to the transport; `wait`: the day's cap is spent. */
    let warmup: { day: string; unused: number; wait?: { cap: number; resumeAt: number } } | undefined;
    // Top the window up once half of it is free: one claim statement per half-window, not per message.
    const { chunkSize } = this.options;
    const refillAt = Math.max(1, Math.ceil(chunkSize / 2));

    /** Writes the answers gathered so far; returns how many. */
    const flush = async (): Promise<number> => {
      const results = settled;
      settled = [];
      if (results.length === 0) return 0;
      const rows = await this.recorder.keep({ dispatchId, batchNo, outcomes: results.length }, () => this.outcomes.record(results));
      const handedBack = new Set(results.filter((r) => r.status === 'paced').map((r) => r.id));
      for (const row of rows) {
        if (row.status === 'sent') totals.sent++;
        else if (row.status === 'failed') totals.failed++;
        else if (row.status === 'blocked') totals.blocked++;
        else if (row.status === 'pending' && !paced.has(row.id) && !handedBack.has(row.id)) deferred.set(row.id, row.attempts);
      }
      // Only a refusal can tip the reputation guard: a healthy send never pays for the check.
      if (!halt && results.some((r) => r.status === 'blocked' || r.failure === 'permanent_address')) {
        const reason = await this.guard.check(dispatchId);
        if (reason) {
          this.log.warn({ event: 'dispatch.reputation_paused', dispatchId, reason }, 'reputation guard paused the dispatch');
          halt = { kind: 'stopped', status: 'paused' };
        }
      }
      return results.length;
    };

    /**
     * A held reader goes back to pending, untouched. One whose group waits out a throttle is left for a later run;
     * one that only did not fit its group's share may be claimed again once the group has room; a halted run claims
     * nothing more anyway.
     */
    const release = (h: Waiting<ClaimedDelivery>) => {
      if (halt) {
        // The run ends; the batch's next run takes the reader.
      } else if (pacer.pausedBeyond(HOLD_MS).has(h.group)) paced.set(h.row.id, h.group);
      else {
        paceBlocked = true; // claim again only once something changed, or it would take the same readers back
        // The reader is pending again, so the batch is not through, even if the claim that took it found it was:
        // a run that ended here would close the batch with this reader never sent.
        exhausted = false;
      }
      settled.push({ id: h.row.id, subscriberId: h.row.subscriberId, status: 'paced', response: '' });
      if (warmup) warmup.unused++;
    };

    const start = (h: Waiting<ClaimedDelivery> & { ticket: PaceTicket }) => {
      const r = h.row;
      const done = this.deliver(edition, r, h.ticket).then(async (delivered) => {
        inFlight.delete(r.id);
        if (delivered.pacedGroup) paced.set(r.id, delivered.pacedGroup);
        if (!detached) {
          settled.push(delivered.result);
          if (!halt && delivered.halt) halt = delivered.halt;
          return;
        }
        // A straggler whose run has returned: it records its own outcome; the batch's next run finds it settled.
        await this.recorder.keep({ dispatchId, batchNo, outcomes: 1 }, () => this.outcomes.record([delivered.result])).catch((error) =>
          this.log.error({ event: 'email.straggler_record_failed', deliveryId: r.id, err: error }, 'could not record a late outcome'));
        this.stragglers.delete(r.id);
      });
      inFlight.set(r.id, done);
    };

    /** Claims up to `room` more (within today's warm-up cap), leaving out readers of groups that cannot take them. */
    const claimMore = async (room: number) => {
      let limit = room;
      const today = dayOf(clock.now());
      if (this.pacing.warmup && warmup?.wait && warmup.day === today) limit = 0; // spent: no need to ask again today
      else if (this.pacing.warmup) {
        const grant = await this.pacing.warmup.reserve(room);
        if (warmup && warmup.day !== grant.day) await this.pacing.warmup.release(warmup.day, warmup.unused);
        warmup = { day: grant.day, unused: (warmup?.day === grant.day ? warmup.unused : 0) + grant.granted };
        if (grant.exhausted) warmup.wait = grant.exhausted;
        limit = grant.granted;
      }
      const paused = pacer.pausedBeyond(HOLD_MS);
      const full = held.fullGroups();
      const domains = directory.domainsOf(full);
      const claimed = limit > 0
        ? await claimDeliveries(this.db, batch, { ids: [...deferred.keys(), ...paced.keys()], domains }, limit)
        : [];
      const sending = claimed.filter((r) => r.status === 'sending');
      totals.skipped += claimed.length - sending.length;
      if (warmup) warmup.unused -= sending.length;
      const groups = await Promise.all(sending.map((r) => directory.groupOf(r.email)));
      sending.forEach((row, i) => held.add(row, groups[i]));
      if (claimed.length > 0) return;
      // Nothing (more) to claim: the batch is through, or what is left belongs to groups that cannot take it yet.
      if (limit === 0 || domains.length === 0 || inFlight.size + held.size === 0) {
        exhausted = true;
        if (limit > 0) for (const group of paused) behindPause.add(group);
      } else paceBlocked = true;
    };

    try {
      for (;;) {
        if (!halt && !this.claiming) halt = { kind: 'handed_back' };
        // Readers whose group cannot take them soon go back; then whoever's group has a turn starts.
        held.shed(Boolean(halt)).forEach(release);
        held.startable(chunkSize - inFlight.size).forEach(start);
        const busy = inFlight.size + held.size;
        if (!halt && !exhausted && !paceBlocked && chunkSize - busy >= (busy === 0 ? 1 : refillAt)) {
          await flush();
          const status = halt ? undefined : await this.dispatchStatus(dispatchId);
          if (status && status !== 'running') halt = { kind: 'stopped', status };
          if (!halt) await claimMore(chunkSize - busy);
          continue;
        }
        if (busy === 0) {
          if (exhausted || halt) break;
          // Readers just handed back for their group's share, nothing else in hand: claim again after a moment.
          await sleep(50);
          paceBlocked = false;
          continue;
        }
        if (exhausted && !halt && held.size === 0) {
          // Only the last messages are left: give them a moment, then let them finish without holding this job.
          const grace = new Promise<'grace'>((resolve) => setTimeout(() => resolve('grace'), STRAGGLER_GRACE_MS).unref());
          if ((await Promise.race([Promise.all(inFlight.values()), grace])) === 'grace' && inFlight.size > 0) {
            detached = true;
            for (const id of inFlight.keys()) this.stragglers.set(id, batchKey);
            break;
          }
          continue;
        }
        // Wait for a message to come back, the next held reader's turn, or a slot another run frees in a capped group.
        const turn = held.nextTurnMs();
        const wake: Promise<unknown>[] = [...inFlight.values(), pacer.changed()];
        if (turn !== undefined) wake.push(sleep(Math.max(1, turn)));
        await Promise.race(wake);
        paceBlocked = false;
      }
    } catch (error) {
      // A claim, a status read or a write failed (the database went away) while messages were still on the wire.
      // Their answers exist only in this process: wait for them and write them down through the outage (the
      // recorder holds them until the database answers) before the run ends. Otherwise the batch's next run would
      // find them `sending`, take them for interrupted and send those readers a second copy. Readers claimed but
      // not started go back to pending, their attempt refunded.
      halt ??= { kind: 'handed_back' };
      held.shed(true).forEach(release);
      let recorded = 0;
      try {
        await Promise.all(inFlight.values());
        recorded = await flush();
      } catch (settling) {
        this.log.error({ event: 'email.batch_settle_failed', dispatchId, batchNo, err: settling }, 'could not record the answers of an interrupted run');
      }
      // The database took those answers, so the outage is over: the batch goes back to the queue, rather than
      // reporting an outage that has ended (a second `dependency.lost` after the database was back).
      if (recorded > 0 && isDatabaseUnavailable(error)) return { kind: 'handed_back' };
      throw error;
    }
    await flush();
    if (warmup && this.pacing.warmup) await this.pacing.warmup.release(warmup.day, warmup.unused);
    if (detached || [...this.stragglers.values()].includes(batchKey)) {
      this.log.info({ event: 'email.batch_stragglers', dispatchId, batchNo }, 'last messages still unanswered; the batch looks again shortly');
      return { kind: 'retry', sent: totals.sent, deferred: 0, delayMs: STRAGGLER_RECHECK_MS, reason: 'messages still in flight' };
    }

    if (halt?.kind === 'stopped' || halt?.kind === 'handed_back') return halt;
    if (halt?.kind === 'throttled') return halt;
    if (warmup?.wait && (await this.pendingIn(dispatchId, batchNo)) > 0) {
      const { cap, resumeAt } = warmup.wait;
      await markWaiting(this.db, batch, `waiting: today's warm-up cap of ${cap} messages is reached; goes out from ${new Date(resumeAt).toISOString().slice(0, 10)}`);
      return { kind: 'warmup_wait', sent: totals.sent, cap, delayMs: Math.max(1000, resumeAt - clock.now()) };
    }
    const pacedGroups = new Set([...paced.values(), ...behindPause]);
    // The soonest a paced group can take its readers again (one waiting for a slot or its next turn: shortly).
    const pacedDelayMs = Math.max(50, Math.min(...[...pacedGroups].map((g) => pacer.waitMs(g)).map((ms) => (ms > 0 && Number.isFinite(ms) ? ms : 250))));
    if (deferred.size > 0 || halt?.kind === 'unreachable') {
      const attempts = Math.max(1, ...deferred.values());
      const { backoffMs, backoffMaxMs } = this.options.retry;
      const backoff = cappedBackoffMs(attempts, backoffMs, backoffMaxMs);
      return {
        kind: 'retry',
        sent: totals.sent,
        deferred: deferred.size,
        delayMs: pacedGroups.size > 0 ? Math.min(backoff, pacedDelayMs) : backoff,
        reason: halt?.kind === 'unreachable' ? halt.reason : `${deferred.size} deliveries deferred after a temporary failure`,
      };
    }
    if (pacedGroups.size > 0) {
      const waiting = paced.size + (behindPause.size > 0 ? await this.pendingIn(dispatchId, batchNo) - paced.size : 0);
      return { kind: 'paced', sent: totals.sent, waiting: Math.max(paced.size, waiting), groups: [...pacedGroups].sort(), delayMs: pacedDelayMs };
    }
    await this.closeBatch(dispatchId, batchNo);
    return { kind: 'done', ...totals };
  }

  /** Marks a batch finished: after its last delivery, or early when its dispatch was cancelled (the rest stays unsent). */
  async closeBatch(dispatchId: number, batchNo: number): Promise<void> {
    await this.db
      .updateTable('emailBatches')
      .set({ status: 'done', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .execute();
  }

  /** The batch job failed for good (an error that is not a delivery's): what is still open fails with the reason. */
  async giveUp(dispatchId: number, batchNo: number, reason: string): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'failed', lastResponse: sql<string>`coalesce(last_response, ${reason})`, updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', 'in', ['pending', 'sending'])
      .execute();
    await this.closeBatch(dispatchId, batchNo);
  }

  private async dispatchStatus(dispatchId: number): Promise<string> {
    const row = await this.db.selectFrom('dispatches').select('status').where('id', '=', dispatchId).executeTakeFirst();
    return row?.status ?? 'missing';
  }

  private async pendingIn(dispatchId: number, batchNo: number): Promise<number> {
    const row = await this.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('dispatchId', '=', dispatchId).where('batchNo', '=', batchNo).where('status', '=', 'pending').executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Deliveries still `sending` when a batch starts were in flight when a worker died: the server may or may not
   * have accepted them. Policy decides: back to pending (resend) or `uncertain` (an editor decides).
   */
  private async settleInterrupted(dispatchId: number, batchNo: number): Promise<void> {
    const to = this.options.uncertainPolicy === 'resend' ? 'pending' : 'uncertain';
    // This process' own stragglers are not interrupted: they are still in flight and will record themselves.
    const ids = await settleInterrupted(this.db, { dispatchId, batchNo }, to, [...this.stragglers.keys()]);
    if (ids.length === 0) return;
    this.log.warn({ event: 'email.batch.interrupted', dispatchId, batchNo, deliveries: ids.length, policy: to },
      'found deliveries interrupted mid-send');
    await recordEvents(this.db, ids.map((id) => ({
      subjectType: 'delivery' as const, subjectId: id, event: 'delivery.interrupted', fromStatus: 'sending',
      toStatus: to, cause: `uncertain-policy:${this.options.uncertainPolicy}`,
    })));
  }

  /** Hands one message to the transport (its group's turn taken: `ticket`), and tells the pacer how it went. */
  private async deliver(edition: EditionMessage, r: ClaimedDelivery, ticket: PaceTicket): Promise<Delivered> {
    const attempt = { deliveryId: r.id, subscriberId: r.subscriberId, email: r.email, name: r.name };
    const { pacer, clock } = this.pacing;
    const { group } = ticket;
    try {
      const { raw, messageId } = edition.personalise(attempt);
      const receipt = await this.transport.send({ raw, envelope: { from: edition.envelopeFrom, to: r.email } });
      pacer.finished(ticket);
      const { response, providerMessageId } = receipt;
      // Several transports may be configured (failover): the receipt names the one that took the message.
      const accepted = { transport: receipt.transport ?? this.transport.name, providerMessageId };
      return { result: { id: r.id, subscriberId: r.subscriberId, status: 'sent', response, messageId, accepted } };
    } catch (error) {
      const failure = this.transport.failureOf(error);
      if (failure instanceof RateLimited && failure.scope === 'destination') {
        // The reader's provider wants us to slow down: only its group does; the reader waits with it, attempt refunded.
        const waitMs = Math.max(0, failure.resetAt.getTime() - Date.now());
        if (pacer.finished(ticket, clock.now() + waitMs)) {
          this.log.warn({ event: 'email.provider_throttled', group, waitMs, ratePerSecond: pacer.state(group).ratePerSecond,
            response: failure.describe() }, 'a mailbox provider is throttling; slowing down its group only');
        }
        return { result: { id: r.id, subscriberId: r.subscriberId, status: 'throttled', response: failure.describe(), failure: failure.kind }, pacedGroup: group };
      }
      pacer.finished(ticket);
      return this.onFailure(r, failure);
    }
  }

  /** What one failure means for its delivery, and whether the whole run should stop claiming. */
  private onFailure(r: ClaimedDelivery, failure: DeliveryFailure): Delivered {
    const base = { id: r.id, subscriberId: r.subscriberId, response: failure.describe(), failure: failure.kind };
    switch (failure.kind) {
      case 'permanent_address':
        return { result: { ...base, status: 'failed' } };
      case 'permanent_policy':
        return { result: { ...base, status: 'blocked' } };
      case 'rate_limited':
        return { result: { ...base, status: 'throttled' }, halt: { kind: 'throttled', resetAt: (failure as RateLimited).resetAt } };
      case 'uncertain':
        return { result: { ...base, status: this.options.uncertainPolicy === 'hold' ? 'uncertain' : 'retry' } };
      case 'transient': {
        const { softBounce } = failure as TransientFailure;
        const result: DeliveryResult = { ...base, status: 'retry', softBounce };
        // No reply at all (refused, unreachable): the server is down, so the rest of the batch waits for the retry.
        return softBounce ? { result } : { result, halt: { kind: 'unreachable', reason: failure.describe() } };
      }
    }
  }
}
