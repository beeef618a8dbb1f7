// The waves of a local-time dispatch as rows: planned once from the audience's zones, each claimed by its delayed
// job at its fire instant (re-read, never trusted from the job), cancelled or moved while not yet sent.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, DispatchStatus, WaveRow, WaveStatus } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { movedWaveInstant, planDigestWaves, planWaves } from './local-time.js';
import { EARLY_TOLERANCE_MS } from './start-gate.js';

/** Waves whose readers have not been fanned out: the ones pause, cancel and reschedule act on. */
export const UNSENT_WAVES: readonly WaveStatus[] = ['scheduled'];
/** Waves that still need their job: not fanned out yet, or fanning out when a worker stopped. */
export const OPEN_WAVES: readonly WaveStatus[] = ['scheduled', 'fanning_out'];

/** A reader's zone in SQL over `subscribers`: their own, or the installation's. */
export function readerZone(installationZone: string): RawBuilder<string> {
  return sql<string>`coalesce(subscribers.timezone, ${installationZone})`;
}

/** Zones as a text[] SQL expression (arrays travel as JSON, which PostgreSQL and PGlite take the same way). */
export function zoneArray(zones: readonly string[]): RawBuilder<string[]> {
  return sql<string[]>`array(select jsonb_array_elements_text(${JSON.stringify(zones)}::jsonb))`;
}

/**
 * Plans the waves of a dispatch once, under its row lock: the distinct zones of its audience now, grouped by the
 * instant `localTime` falls on there. A repeated fan-out job finds them planned and answers the same rows.
 */
export async function planDispatchWaves(
  db: Kysely<Database>,
  dispatchId: number,
  options: {
    audience: RawBuilder<boolean>;
    installationZone: string;
    localTime: string;
    notBefore: Date;
    /** A digest edition's: DIGEST_TIMEZONE, whose readers get it at once (planDigestWaves). */
    digestZone?: string;
  },
): Promise<WaveRow[]> {
  return db.transaction().execute(async (tx) => {
    await tx.selectFrom('dispatches').select('id').where('id', '=', dispatchId).forUpdate().executeTakeFirstOrThrow();
    const existing = await tx.selectFrom('dispatchWaves').selectAll().where('dispatchId', '=', dispatchId).orderBy('waveNo').execute();
    if (existing.length > 0) return existing;
    const zones = await sql<{ zone: string }>`
      select distinct ${readerZone(options.installationZone)} as zone from subscribers
      where status = 'confirmed' and not paused and ${options.audience}
    `.execute(tx);
    const readerZones = zones.rows.map((r) => r.zone);
    const planned = options.digestZone
      ? planDigestWaves(readerZones, options.localTime, options.notBefore, options.digestZone)
      : planWaves(readerZones, options.localTime, options.notBefore);
    if (planned.length === 0) {
      // Nobody to mail: the email side is fanned out as it stands.
      await tx.updateTable('dispatches').set({ emailFannedOutAt: sql<Date>`now()` }).where('id', '=', dispatchId).execute();
      return [];
    }
    const rows = await tx
      .insertInto('dispatchWaves')
      .values(planned.map((w, i) => ({ dispatchId, waveNo: i + 1, zones: w.zones, fireAt: w.fireAt })))
      .returningAll()
      .execute();
    await recordEvent(tx, {
      subjectType: 'dispatch',
      subjectId: dispatchId,
      event: 'dispatch.waves_planned',
      cause: 'worker',
      detail: { localTime: options.localTime, waves: planned.map((w) => ({ zones: w.zones, fireAt: w.fireAt.toISOString() })) },
    });
    return rows.sort((a, b) => a.waveNo - b.waveNo);
  });
}

export type WaveClaim =
  | { kind: 'claimed'; wave: WaveRow }
  /** Not due yet (a wave moved later, or a job woken early): wait until `at`. */
  | { kind: 'early'; at: Date }
  /** Its dispatch is paused: look again later. */
  | { kind: 'paused' }
  /** Sent, cancelled, or its dispatch is finished: nothing to do. */
  | { kind: 'done'; status: WaveStatus | DispatchStatus | 'missing' };

/**
 * A wave's job fired: decide against the rows, under the dispatch's lock, so a pause, cancel or reschedule never
 * slips in between the check and the claim (scheduled → fanning_out). A wave found fanning out (a worker stopped
 * mid-way) is claimed again: the fan-out resumes at its cursor.
 */
export async function claimWave(db: Kysely<Database>, dispatchId: number, waveNo: number, now: Date): Promise<WaveClaim> {
  return db.transaction().execute(async (tx) => {
    const dispatch = await tx.selectFrom('dispatches').select('status').where('id', '=', dispatchId).forUpdate().executeTakeFirst();
    const wave = await tx.selectFrom('dispatchWaves').selectAll().where('dispatchId', '=', dispatchId).where('waveNo', '=', waveNo).executeTakeFirst();
    if (!dispatch || !wave) return { kind: 'done', status: 'missing' } as const;
    if (!OPEN_WAVES.includes(wave.status)) return { kind: 'done', status: wave.status } as const;
    if (dispatch.status === 'paused') return { kind: 'paused' } as const;
    if (dispatch.status !== 'running') return { kind: 'done', status: dispatch.status } as const;
    if (wave.fireAt.getTime() - now.getTime() > EARLY_TOLERANCE_MS) return { kind: 'early', at: wave.fireAt } as const;
    const claimed = await tx
      .updateTable('dispatchWaves')
      .set({ status: 'fanning_out', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('waveNo', '=', waveNo)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (wave.status === 'scheduled') {
      await recordEvent(tx, {
        subjectType: 'dispatch', subjectId: dispatchId, event: 'dispatch.wave_fired', cause: 'scheduler',
        detail: { waveNo, zones: wave.zones, fireAt: wave.fireAt.toISOString() },
      });
    }
    return { kind: 'claimed', wave: claimed } as const;
  });
}

/** Cancels the waves not yet fanned out (the caller holds the dispatch's lock or has cancelled it). */
export async function cancelUnsentWaves(db: Kysely<Database>, dispatchId: number): Promise<number[]> {
  const rows = await db
    .updateTable('dispatchWaves')
    .set({ status: 'cancelled', updatedAt: sql<Date>`now()` })
    .where('dispatchId', '=', dispatchId)
    .where('status', 'in', UNSENT_WAVES)
    .returning('waveNo')
    .execute();
  return rows.map((r) => r.waveNo);
}

/**
 * Moves the waves not yet sent to another local time, each on the same calendar date in its zones; a time already
 * past fires now. Answers the moved waves, for their jobs to be moved too.
 */
export async function moveUnsentWaves(db: Kysely<Database>, dispatchId: number, localTime: string, now: Date): Promise<WaveRow[]> {
  return db.transaction().execute(async (tx) => {
    await tx.updateTable('dispatches').set({ localTime, updatedAt: sql<Date>`now()` }).where('id', '=', dispatchId).execute();
    const waves = await tx
      .selectFrom('dispatchWaves')
      .selectAll()
      .where('dispatchId', '=', dispatchId)
      .where('status', 'in', UNSENT_WAVES)
      .forUpdate()
      .execute();
    const moved: WaveRow[] = [];
    for (const wave of waves) {
      const fireAt = new Date(Math.max(movedWaveInstant(wave, localTime).getTime(), now.getTime()));
      moved.push(
        await tx
          .updateTable('dispatchWaves')
          .set({ fireAt, updatedAt: sql<Date>`now()` })
          .where('dispatchId', '=', dispatchId)
          .where('waveNo', '=', wave.waveNo)
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    }
    await recordEvent(tx, {
      subjectType: 'dispatch', subjectId: dispatchId, event: 'dispatch.waves_rescheduled', cause: 'editor',
      detail: { localTime, waves: moved.map((w) => ({ waveNo: w.waveNo, fireAt: w.fireAt.toISOString() })) },
    });
    return moved;
  });
}

export interface WaveView {
  waveNo: number;
  zones: string[];
  fireAt: Date;
  status: WaveStatus;
  /** Readers fanned out so far. */
  recipients: number;
  /** This wave's email deliveries by status. */
  counts: Record<string, number>;
}

/** A dispatch's waves with their delivery counts, in firing order; empty for a dispatch without local time. */
export async function listWaves(db: Kysely<Database>, dispatchId: number): Promise<WaveView[]> {
  const waves = await db.selectFrom('dispatchWaves').selectAll().where('dispatchId', '=', dispatchId).orderBy('waveNo').execute();
  if (waves.length === 0) return [];
  const counts = await db
    .selectFrom('deliveries')
    .innerJoin('emailBatches', (join) =>
      join.onRef('emailBatches.dispatchId', '=', 'deliveries.dispatchId').onRef('emailBatches.batchNo', '=', 'deliveries.batchNo'),
    )
    .select(['emailBatches.waveNo', 'deliveries.status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('deliveries.dispatchId', '=', dispatchId)
    .where('emailBatches.waveNo', 'is not', null)
    .groupBy(['emailBatches.waveNo', 'deliveries.status'])
    .execute();
  return waves.map((w) => ({
    waveNo: w.waveNo,
    zones: w.zones,
    fireAt: w.fireAt,
    status: w.status,
    recipients: w.recipients,
    counts: Object.fromEntries(counts.filter((c) => c.waveNo === w.waveNo).map((c) => [c.status, Number(c.n)])),
  }));
}
