// One run of a batch through a sliding window. At most `chunkSize` deliveries of the run are `sending` at once:
// on the wire, waiting for their provider group's turn (src/email/pacing), or answered and not yet written. Each
// message goes to the transport as soon as its group has a turn, so one message that does not answer holds only
// itself. The database work overlaps the sending: while messages are on the wire, one round at a time writes the
// answers given since the last round and claims their room again, in one statement (src/email/record-and-claim.ts).
// The claim reads the dispatch's status, so a pause or cancel stops the run at its next round.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import type { Database } from '../db/schema.js';
import { WakeUp } from '../runtime/wake-up.js';
import type { ClaimedDelivery } from './batch-claims.js';
import type { DeliveryOutcomes, DeliveryResult } from './delivery-outcomes.js';
import type { EditionMessage } from './edition-message.js';
import type { Halt, MessageDelivery } from './message-delivery.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { PaceTicket } from './pacing/provider-pacer.js';
import type { SendPacing } from './pacing/send-pacing.js';
import { WaitingRoom, type Waiting } from './pacing/waiting-room.js';
import { WarmupAllowance } from './pacing/warmup-allowance.js';
import { recordAndClaim, type Round } from './record-and-claim.js';
import type { ReputationGuard } from './reputation-guard.js';
import { RunTally } from './run-tally.js';

/**
 * How long a run that has nothing left to claim waits for its last messages before it lets them finish on their
 * own (a server silent after DATA holds a message until SMTP_SOCKET_TIMEOUT_MS): the job then frees its worker slot.
 */
const STRAGGLER_GRACE_MS = 5000;
/**
 * A claimed message waits in its run for its group's pace at most about this long; readers whose group cannot take
 * them that soon go back to pending (attempt refunded) for a later run, and are not claimed while it waits.
 */
const HOLD_MS = 1000;
/**
 * Rounds of one run in flight at once: the next can write and claim while the last is still committing, so a
 * database that takes longer than the window's messages to answer does not leave the window empty.
 */
const ROUNDS_IN_FLIGHT = 2;

export interface RunContext {
  db: Kysely<Database>;
  batch: { dispatchId: number; batchNo: number };
  edition: EditionMessage;
  chunkSize: number;
  pacing: SendPacing;
  delivery: MessageDelivery;
  outcomes: DeliveryOutcomes;
  recorder: OutcomeRecorder;
  guard: ReputationGuard;
  log: Logger;
  /** False once the process stops gracefully: the run claims nothing more. */
  mayClaim: () => boolean;
  /** This process' messages still in flight after their run returned, by delivery id → batch key. */
  stragglers: Map<number, string>;
}

/** How a run ended, for src/email/batch-conclusion.ts to turn into the batch's outcome. */
export interface RunEnd {
  tally: RunTally;
  halt?: Halt;
  /** Its last messages were still unanswered: they record themselves when they finish. */
  detached: boolean;
  warmupSpent?: { cap: number; resumeAt: number };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class BatchRun {
  private readonly tally = new RunTally();
  private readonly held: WaitingRoom<ClaimedDelivery>;
  private readonly inFlight = new Set<number>();
  private readonly wake = new WakeUp();
  private readonly warmup: WarmupAllowance;
  /**
   * A round starts once this many slots are free (or answers wait): one statement per quarter of the window at
   * most, so a fast database is not asked once per message, and a slow one still finds most of the window busy.
   */
  private readonly roundAt: number;
  /** Answers not yet in a round. */
  private answers: DeliveryResult[] = [];
  /** Rounds in flight, each with the answers it writes. */
  private readonly rounds = new Set<DeliveryResult[]>();
  /**
   * Window slots the rounds in flight hold: each its answers until it commits, then what it claimed (at most its
   * limit), so max(answers, limit). The window's invariant: in flight + held + unwritten answers + this ≤ chunkSize.
   */
  private roundsHold = 0;
  /** Readers handed back for their group's share whose `pending` is not committed yet (no claim can see them). */
  private handBacksUnwritten = 0;
  /** Rounds that committed such hand-backs so far: a claim whose snapshot is older cannot have seen them. */
  private handBackWrites = 0;
  private halt: Halt | undefined;
  /** A claim failed (the database went away), or a send did not come back: nothing more is claimed, the run ends with it. */
  private claimFailure: unknown;
  /** A round failed with an error that is not an outage: the run ends with it at once. */
  private fatal: unknown;
  private exhausted = false;
  private detached = false;
  /** The last claim found only readers of groups that cannot take more yet: claim again once something changes. */
  private paceBlocked = false;
  private graceOver: Promise<void> | undefined;
  private graceEnds = 0;

  constructor(private readonly ctx: RunContext) {
    this.held = new WaitingRoom<ClaimedDelivery>(ctx.pacing.pacer, HOLD_MS);
    this.warmup = new WarmupAllowance(ctx.pacing.warmup, ctx.pacing.clock);
    this.roundAt = Math.max(1, Math.ceil(ctx.chunkSize / 4));
  }

  async run(): Promise<RunEnd> {
    const { chunkSize } = this.ctx;
    for (;;) {
      this.wake.reset();
      if (this.fatal !== undefined) throw this.fatal;
      if (!this.halt && !this.ctx.mayClaim()) this.halt = { kind: 'handed_back' };
      const ending = Boolean(this.halt) || this.claimFailure !== undefined;
      // Readers whose group cannot take them soon go back; then whoever's group has a turn starts.
      this.held.shed(ending).forEach((h) => this.release(h));
      this.held.startable(chunkSize - this.inFlight.size).forEach((h) => this.start(h));
      const active = this.inFlight.size + this.held.size;
      this.maybeStartRound(active, ending);

      if (active === 0 && this.rounds.size === 0) {
        if (this.exhausted || ending) break;
        // Readers just handed back for their group's share, nothing else in hand: claim again after a moment.
        await sleep(50);
        this.paceBlocked = false;
        continue;
      }
      if (this.exhausted && !ending && this.held.size === 0 && this.inFlight.size > 0) {
        // Only the last messages are left: give them a moment, then let them finish without holding this job.
        if (!this.graceOver) {
          this.graceEnds = Date.now() + STRAGGLER_GRACE_MS;
          this.graceOver = sleep(STRAGGLER_GRACE_MS);
        }
        if (Date.now() >= this.graceEnds) {
          this.detached = true;
          const batchKey = `${this.ctx.batch.dispatchId}/${this.ctx.batch.batchNo}`;
          for (const id of this.inFlight) this.ctx.stragglers.set(id, batchKey);
          break;
        }
      }
      // Wait for a message to come back, the round to return, the next held reader's turn, or a slot another run
      // frees in a capped group.
      const wake: Promise<unknown>[] = [this.wake.wait()];
      if (this.held.size > 0 || this.paceBlocked) wake.push(this.ctx.pacing.pacer.changed());
      const turn = this.held.nextTurnMs();
      if (turn !== undefined) wake.push(sleep(Math.max(1, turn)));
      if (this.graceOver) wake.push(this.graceOver);
      await Promise.race(wake);
      this.paceBlocked = false;
    }
    await this.writeTheRest();
    if (this.claimFailure !== undefined) {
      await this.warmup.giveBack().catch(() => undefined);
      throw this.claimFailure;
    }
    await this.warmup.giveBack();
    return { tally: this.tally, halt: this.halt, detached: this.detached, warmupSpent: this.warmup.spent };
  }

  /**
   * Starts a round when a quarter of the window is free to claim (one slot when nothing is in hand), or answers
   * wait to be written: enough of them, or the run has little else left. The answers' own slots count as free: the
   * round writes them and claims in one statement.
   */
  private maybeStartRound(active: number, ending: boolean): void {
    if (this.rounds.size >= ROUNDS_IN_FLIGHT) return;
    const room = this.ctx.chunkSize - active - this.roundsHold;
    const claims = !ending && !this.exhausted && !this.paceBlocked && room >= (active + this.roundsHold === 0 ? 1 : this.roundAt);
    const writes = this.answers.length > 0
      && (this.answers.length >= this.roundAt || active < this.roundAt || ending || this.exhausted);
    if (claims || writes) this.startRound(claims ? room : 0);
  }

  private startRound(room: number): void {
    const answers = this.answers;
    this.answers = [];
    const holds = Math.max(answers.length, room);
    const handBacks = answers.filter((a) => a.status === 'paced' && !this.tally.paced.has(a.id)).length;
    this.rounds.add(answers);
    this.roundsHold += holds;
    this.round(answers, room)
      .catch((error: unknown) => {
        this.fatal ??= error;
      })
      .finally(() => {
        this.rounds.delete(answers);
        this.roundsHold -= holds;
        this.handBacksUnwritten -= handBacks;
        if (handBacks > 0) this.handBackWrites++;
        this.wake.notify();
      });
  }

  /** After the loop: every answer still unwritten goes out in rounds that claim nothing. */
  private async writeTheRest(): Promise<void> {
    for (;;) {
      this.wake.reset();
      if (this.fatal !== undefined) throw this.fatal;
      if (this.rounds.size === 0 && this.answers.length === 0) return;
      if (this.answers.length > 0 && this.rounds.size < ROUNDS_IN_FLIGHT) this.startRound(0);
      await this.wake.wait();
    }
  }

  /**
   * One round: writes `answers` (through a database outage) and claims up to `room` more (within today's warm-up
   * cap), leaving out groups that cannot take them. A round retried after an outage only writes: its first claim
   * may or may not have committed, and a blind repeat must not take more.
   */
  private async round(answers: DeliveryResult[], room: number): Promise<void> {
    const { db, batch, pacing, outcomes } = this.ctx;
    let limit = 0;
    if (room > 0) {
      try {
        limit = await this.warmup.take(room);
      } catch (error) {
        // The answers are still written (through the outage); only the claim is off.
        if (!isDatabaseUnavailable(error)) throw error;
        this.claimFailure ??= error;
        room = 0;
      }
    }
    const paused = pacing.pacer.pausedBeyond(HOLD_MS);
    const excludeDomains = limit > 0 ? pacing.directory.domainsOf(this.held.fullGroups()) : [];
    const handBackWritesBefore = this.handBackWrites;
    let attempts = 0;
    const statement = () =>
      recordAndClaim(db, outcomes, batch, answers, { excludeIds: this.excludedIds(answers), excludeDomains, limit: attempts++ === 0 ? limit : 0 });
    let result: Round;
    if (answers.length > 0) {
      result = await this.ctx.recorder.keep({ ...batch, outcomes: answers.length }, statement);
    } else {
      try {
        result = await statement();
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        this.claimFailure ??= error;
        return;
      }
    }
    await this.counted(answers, result);
    if (room === 0) return;
    if (result.dispatchStatus !== 'running') this.halt ??= { kind: 'stopped', status: result.dispatchStatus };
    if (attempts > 1) return;

    const { claimed } = result;
    const sending = claimed.filter((r) => r.status === 'sending');
    this.tally.totals.skipped += claimed.length - sending.length;
    this.warmup.used(sending.length);
    const groups = await Promise.all(sending.map((r) => pacing.directory.groupOf(r.email)));
    sending.forEach((row, i) => this.held.add(row, groups[i]));
    if (claimed.length > 0 || result.dispatchStatus !== 'running') return;
    // Nothing (more) to claim: the batch is through, or what is left belongs to groups that cannot take it yet.
    // Readers handed back only for their group's share are pending once written, but this claim cannot have seen
    // those not yet committed, nor those another round committed after it began: it must not take the batch for done.
    if (this.handBacksUnwritten > 0 || this.handBackWrites !== handBackWritesBefore) this.paceBlocked = true;
    else if (limit === 0 || excludeDomains.length === 0 || this.inFlight.size + this.held.size === 0) {
      this.exhausted = true;
      if (limit > 0) for (const group of paused) this.tally.behindPause.add(group);
    } else this.paceBlocked = true;
  }

  /**
   * What a round's claim leaves out: deliveries deferred or waiting with their group, and the answers other rounds
   * in flight are writing (one may commit a retry as pending before this claim looks).
   */
  private excludedIds(own: DeliveryResult[]): number[] {
    const ids = this.tally.excluded();
    for (const answers of this.rounds) if (answers !== own) for (const a of answers) ids.push(a.id);
    return ids;
  }

  /** Counts a round's written answers, follows up on bounces, and lets the reputation guard look after a refusal. */
  private async counted(answers: DeliveryResult[], result: Round): Promise<void> {
    if (answers.length === 0) return;
    const { dispatchId, batchNo } = this.ctx.batch;
    this.tally.count(answers, result.recorded);
    if (result.recorded.some((r) => r.status === 'failed')) {
      await this.ctx.recorder.keep({ dispatchId, batchNo, outcomes: answers.length }, () => this.ctx.outcomes.followUp(answers, result.recorded));
    }
    // Only a refusal can tip the reputation guard: a healthy send never pays for the check.
    if (!this.halt && answers.some((r) => r.status === 'blocked' || r.failure === 'permanent_address')) {
      const reason = await this.ctx.guard.check(dispatchId);
      if (reason) {
        this.ctx.log.warn({ event: 'dispatch.reputation_paused', dispatchId, reason }, 'reputation guard paused the dispatch');
        this.halt ??= { kind: 'stopped', status: 'paused' };
      }
    }
  }

  private start(h: Waiting<ClaimedDelivery> & { ticket: PaceTicket }): void {
    const r = h.row;
    this.inFlight.add(r.id);
    void this.ctx.delivery.deliver(this.ctx.edition, r, h.ticket).then(async (delivered) => {
      this.inFlight.delete(r.id);
      if (delivered.pacedGroup) this.tally.paced.set(r.id, delivered.pacedGroup);
      if (!this.detached) {
        this.answers.push(delivered.result);
        if (!this.halt && delivered.halt) this.halt = delivered.halt;
        this.wake.notify();
        return;
      }
      await this.recordStraggler(delivered.result);
    }, (error: unknown) => {
      // Not a delivery's failure (those come back as results): the run stops claiming and ends with the error; the
      // row stays `sending` for the uncertain-delivery policy, as after a crash.
      this.inFlight.delete(r.id);
      this.claimFailure ??= error;
      this.wake.notify();
    });
  }

  /** A straggler whose run has returned records its own outcome; the batch's next run finds it settled. */
  private async recordStraggler(result: DeliveryResult): Promise<void> {
    const { dispatchId, batchNo } = this.ctx.batch;
    await this.ctx.recorder.keep({ dispatchId, batchNo, outcomes: 1 }, () => this.ctx.outcomes.record([result])).catch((error) =>
      this.ctx.log.error({ event: 'email.straggler_record_failed', deliveryId: result.id, err: error }, 'could not record a late outcome'));
    this.ctx.stragglers.delete(result.id);
  }

  /**
   * A held reader goes back to pending, untouched. One whose group waits out a throttle is left for a later run;
   * one that only did not fit its group's share may be claimed again once the group has room; a halted run claims
   * nothing more anyway.
   */
  private release(h: Waiting<ClaimedDelivery>): void {
    if (this.halt || this.claimFailure !== undefined) {
      // The run ends; the batch's next run takes the reader.
    } else if (this.ctx.pacing.pacer.pausedBeyond(HOLD_MS).has(h.group)) this.tally.paced.set(h.row.id, h.group);
    else {
      // Claim again only once something changed, or it would take the same readers back; and the batch is not
      // through, whatever the last claim found: this reader is pending again.
      this.paceBlocked = true;
      this.handBacksUnwritten++;
      this.exhausted = false;
      this.graceOver = undefined;
    }
    this.answers.push({ id: h.row.id, subscriberId: h.row.subscriberId, status: 'paced', response: '' });
    this.warmup.handedBack();
  }
}
