// The fan-out against the test database: a page of several batches is frozen in one transaction, the first batch is
// queued before the rest of the audience is frozen, and a fan-out stopped between a page's commit and its jobs is
// resumed with every reader frozen once and every batch queued.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleInput } from '../../../src/articles/article-input.js';
import { publishArticle } from '../../../src/articles/publish.js';
import { fanOutEdition } from '../../../src/email/fan-out.js';
import { articlePayload } from '../../support/articles.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

const READERS = 23;
const BATCH_SIZE = 2;
const BATCHES = Math.ceil(READERS / BATCH_SIZE);
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await sql`
    insert into subscribers (email, name, status, confirmed_at)
    select 'reader' || n || '@example.com', 'Reader ' || n, 'confirmed', now() from generate_series(1, ${READERS}) as n
  `.execute(database.db);
});
afterAll(async () => database?.drop());

async function runningDispatch(): Promise<number> {
  const { dispatch } = await publishArticle(database.db, articleInput.parse({ ...articlePayload(), channels: ['email'] }));
  await database.db.updateTable('dispatches').set({ status: 'running', startedAt: new Date() }).where('id', '=', dispatch!.id).execute();
  return dispatch!.id;
}

async function frozen(dispatchId: number) {
  const deliveries = await database.db.selectFrom('deliveries').select(['subscriberId', 'batchNo']).where('dispatchId', '=', dispatchId).execute();
  const batches = await database.db.selectFrom('emailBatches').select(['batchNo', 'recipients']).where('dispatchId', '=', dispatchId).orderBy('batchNo').execute();
  return { deliveries, batches };
}

describe('fan-out pages', () => {
  it('freezes every reader once, in batches of the batch size, and queues the first before freezing the rest', async () => {
    const dispatchId = await runningDispatch();
    // In the order the jobs are handed to the queue (a page's are added together), with what was frozen by then.
    const queued: { batchNo: number; frozenSoFar?: number }[] = [];
    const result = await fanOutEdition(database.db, dispatchId, {
      batchSize: BATCH_SIZE,
      enqueueBatch: async (batchNo) => {
        const entry: { batchNo: number; frozenSoFar?: number } = { batchNo };
        queued.push(entry);
        entry.frozenSoFar = (await frozen(dispatchId)).deliveries.length;
      },
    });

    expect(result).toEqual({ batches: BATCHES, recipients: READERS });
    const { deliveries, batches } = await frozen(dispatchId);
    expect(new Set(deliveries.map((d) => d.subscriberId)).size).toBe(READERS);
    expect(deliveries).toHaveLength(READERS);
    expect(batches.map((b) => b.batchNo)).toEqual(Array.from({ length: BATCHES }, (_, i) => i + 1));
    expect(batches.map((b) => b.recipients)).toEqual([...Array(BATCHES - 1).fill(BATCH_SIZE), READERS % BATCH_SIZE]);
    for (const batch of batches) expect(deliveries.filter((d) => d.batchNo === batch.batchNo)).toHaveLength(batch.recipients);
    expect(queued.map((q) => q.batchNo)).toEqual(batches.map((b) => b.batchNo));
    // The first job was queued when only its own readers were frozen: it does not wait for the whole audience.
    expect(queued[0].frozenSoFar).toBe(BATCH_SIZE);
    const dispatch = await database.db.selectFrom('dispatches').select(['emailBatches', 'emailFannedOutAt']).where('id', '=', dispatchId).executeTakeFirstOrThrow();
    expect(dispatch.emailBatches).toBe(BATCHES);
    expect(dispatch.emailFannedOutAt).not.toBeNull();
  });

  it('resumes a fan-out stopped between a page and its jobs: each reader frozen once, every batch queued', async () => {
    const dispatchId = await runningDispatch();
    const crash = new Error('worker killed');
    await expect(
      fanOutEdition(database.db, dispatchId, {
        batchSize: BATCH_SIZE,
        // Pages of 1, 2 and 4 batches: batch 4 is the first of the third page, committed but not queued.
        enqueueBatch: async (batchNo) => {
          if (batchNo === 4) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect((await frozen(dispatchId)).deliveries).toHaveLength(7 * BATCH_SIZE);

    const queued: number[] = [];
    await fanOutEdition(database.db, dispatchId, { batchSize: BATCH_SIZE, enqueueBatch: async (batchNo) => void queued.push(batchNo) });

    const { deliveries, batches } = await frozen(dispatchId);
    expect(deliveries).toHaveLength(READERS);
    expect(new Set(deliveries.map((d) => d.subscriberId)).size).toBe(READERS);
    expect(batches.reduce((sum, b) => sum + b.recipients, 0)).toBe(READERS);
    expect([...new Set(queued)].sort((a, b) => a - b)).toEqual(Array.from({ length: BATCHES }, (_, i) => i + 1));
  });
});
