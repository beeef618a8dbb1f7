// The webhook relay: reads the event log past a cursor, stores one delivery per (endpoint, event) subscribed to it,
// and queues one job per delivery. Cursor and deliveries move in one transaction and job ids are fixed, so a crash
// at any point neither loses an event nor sends one twice.
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { jobIds, type Queues } from '../queue/queues.js';
import { PeriodicPass } from '../runtime/periodic-pass.js';
import { webhookEventFor, webhookPayload, type LoggedEvent } from './webhook-events.js';

export interface WebhookRelayOptions {
  intervalMs: number;
  /** Event-log rows read per transaction. */
  batchSize?: number;
}

/** Retries of one delivery: about 17 minutes in all before it is marked failed (a redelivery starts over). */
export const WEBHOOK_JOB_OPTIONS = { attempts: 10, backoff: { type: 'exponential', delay: 1000 } } as const;

const EVENT_COLUMNS = ['id', 'at', 'subjectType', 'subjectId', 'event', 'fromStatus', 'toStatus', 'cause', 'detail'] as const;
const RESCAN_SECONDS = 60;

const activeEndpoints = (db: Kysely<Database>) =>
  db.selectFrom('webhookEndpoints').select(['id', 'events', 'createdAt']).where('disabledAt', 'is', null).execute();

type ActiveEndpoint = Awaited<ReturnType<typeof activeEndpoints>>[number];

/** One delivery per endpoint subscribed to each event; an endpoint hears nothing logged before it was registered. */
async function insertDeliveries(db: Kysely<Database>, endpoints: ActiveEndpoint[], events: LoggedEvent[]): Promise<void> {
  const rows = events.flatMap((event) => {
    const type = webhookEventFor(event);
    if (!type) return [];
    const payload = JSON.stringify(webhookPayload(type, event));
    return endpoints
      .filter((e) => e.events.includes(type) && new Date(event.at) >= new Date(e.createdAt))
      .map((e) => ({ endpointId: e.id, eventId: event.id, event: type, payload }));
  });
  if (rows.length === 0) return;
  await db.insertInto('webhookDeliveries').values(rows).onConflict((oc) => oc.columns(['endpointId', 'eventId']).doNothing()).execute();
}

/**
 * With no endpoint, nobody hears the events logged so far: the cursor moves past them without reading them (a
 * 200,000-row import's events were read 500 at a time, only to be dropped). An endpoint registered while this runs
 * still hears its first minute: rescanRecent reads it again.
 */
async function skipToEnd(tx: Kysely<Database>, lastEventId: number): Promise<void> {
  const end = await tx.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  if (end?.id != null && Number(end.id) > lastEventId) {
    await tx.updateTable('webhookRelayCursor').set({ lastEventId: Number(end.id) }).where('id', '=', 1).execute();
  }
}

/** Emits `error` (a pass failed; the next one retries). */
export class WebhookRelay extends EventEmitter {
  private readonly loop: PeriodicPass;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly queues: Queues,
    private readonly options: WebhookRelayOptions,
  ) {
    super();
    this.loop = new PeriodicPass(() => this.relayOnce().then(() => undefined), {
      intervalMs: options.intervalMs,
      rerunWhenKicked: true,
      onError: (error) => this.emit('error', error),
    });
  }

  start(): void {
    this.loop.start();
  }

  kick(): void {
    this.loop.kick();
  }

  /** One pass: new events become deliveries, unqueued deliveries become jobs. Returns the jobs queued. */
  async relayOnce(): Promise<number> {
    while ((await this.storeDeliveries()) > 0);
    await this.rescanRecent();
    return this.queueDeliveries();
  }

  /** Moves the cursor over one batch of events; returns how many events it read. */
  private async storeDeliveries(): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      // The lock makes two relays (serve and worker processes) take turns instead of reading the same rows.
      const cursor = await tx.selectFrom('webhookRelayCursor').select('lastEventId').where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
      const endpoints = await activeEndpoints(tx);
      if (endpoints.length === 0) {
        await skipToEnd(tx, cursor.lastEventId);
        return 0;
      }
      const events = await tx
        .selectFrom('events')
        .select(EVENT_COLUMNS)
        .where('id', '>', cursor.lastEventId)
        .orderBy('id')
        .limit(this.options.batchSize ?? 500)
        .execute();
      if (events.length === 0) return 0;
      await insertDeliveries(tx, endpoints, events);
      await tx.updateTable('webhookRelayCursor').set({ lastEventId: events.at(-1)!.id }).where('id', '=', 1).execute();
      return events.length;
    });
  }

  /**
   * Ids are taken when a row is inserted, not when it commits: a transaction that commits after a later one may
   * leave its event behind the cursor. Reading the last minute again (the unique (endpoint, event) key makes that
   * harmless) catches those; only a transaction open for longer than that could still slip through.
   */
  private async rescanRecent(): Promise<void> {
    // The last minute can hold a large import's every event: not read at all when no endpoint would hear them.
    const endpoints = await activeEndpoints(this.db);
    if (endpoints.length === 0) return;
    const events = await this.db
      .selectFrom('events')
      .select(EVENT_COLUMNS)
      .where('at', '>', sql<Date>`now() - interval '${sql.raw(String(RESCAN_SECONDS))} seconds'`)
      .where((eb) => eb.or([eb('subjectType', '!=', 'delivery'), eb(sql`detail->>'channel'`, '!=', 'email')]))
      .orderBy('id')
      .execute();
    if (events.length > 0) await insertDeliveries(this.db, endpoints, events);
  }

  private async queueDeliveries(): Promise<number> {
    let queued = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('webhookDeliveries')
        .select(['id', 'sends'])
        .where('enqueuedAt', 'is', null)
        .where('status', '=', 'pending')
        .orderBy('id')
        .limit(100)
        .execute();
      if (rows.length === 0) return queued;
      for (const row of rows) {
        // The fixed job id makes a repeated add (another relay, or a crash before the update) a no-op.
        await queueWebhookDelivery(this.queues, row.id, row.sends);
        await this.db.updateTable('webhookDeliveries').set({ enqueuedAt: sql<Date>`now()` }).where('id', '=', row.id).execute();
        queued++;
      }
    }
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}

export function queueWebhookDelivery(queues: Queues, deliveryId: number, sends: number): Promise<unknown> {
  return queues.webhook.add('deliver', { deliveryId }, { jobId: jobIds.webhook(deliveryId, sends), ...WEBHOOK_JOB_OPTIONS });
}
