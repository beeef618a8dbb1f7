// Breaking news first: a dispatch published with `priority: breaking` overtakes a large send already running (its
// batches go ahead of the queued ones), and the running send then finishes; an ordinary dispatch published at the
// same moment waits its turn behind it (the control that shows the first test can fail).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const BULK = 200;
const URGENT = 3;
const BATCH = 10;

let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  // ~40 ms a message over 2 connections: the bulk send takes about 4 s, 20 batches of 10 queued behind each other.
  smtp = await startSmtpSink({ delayMs: 40 });
  herald = await startTestHerald({
    env: { SMTP_URL: smtp.url, SMTP_POOL_SIZE: '2', EMAIL_SEND_CHUNK: '2', EMAIL_BATCH_SIZE: String(BATCH) },
  });
  await herald.ctx.db
    .insertInto('subscribers')
    .values([
      ...Array.from({ length: BULK }, (_, i) => ({ email: `bulk${i}@example.com`, status: 'confirmed' as const, topics: ['bulk'] })),
      ...Array.from({ length: URGENT }, (_, i) => ({ email: `desk${i}@example.com`, status: 'confirmed' as const, topics: ['urgent'] })),
    ])
    .execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

async function publish(section: string, extra: Record<string, unknown> = {}): Promise<{ id: number; priority: string }> {
  const response = await herald.api('/api/articles', { body: articlePayload({ section, tags: [], channels: ['email'], ...extra }) });
  expect(response.status).toBe(201);
  return (await response.json()).dispatch;
}

const indexesOf = (dispatchId: number) =>
  smtp.messages.flatMap((m, index) => (m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`) ? [index] : []));

const completed = (id: number) =>
  eventually(async () => {
    const { status } = await (await herald.api(`/api/dispatches/${id}`)).json();
    return status === 'completed';
  }, 60_000, `dispatch ${id} to complete`);

/** Publishes a bulk send, then — once it is well under way — the urgent story; returns both dispatches once done. */
async function urgentDuringBulk(urgentExtra: Record<string, unknown>) {
  const bulk = await publish('bulk');
  await eventually(async () => indexesOf(bulk.id).length >= 20, 30_000, 'the bulk send to be under way');
  const urgent = await publish('urgent', urgentExtra);
  await completed(urgent.id);
  await completed(bulk.id);
  const bulkIndexes = indexesOf(bulk.id);
  const urgentIndexes = indexesOf(urgent.id);
  // Everyone holds exactly one copy, whatever the order.
  expect(bulkIndexes).toHaveLength(BULK);
  expect(urgentIndexes).toHaveLength(URGENT);
  const lastUrgent = Math.max(...urgentIndexes);
  return { urgent, bulkAfterUrgent: bulkIndexes.filter((i) => i > lastUrgent).length };
}

describe('priority: breaking', () => {
  it('overtakes a large send already running, which then finishes', async () => {
    const { urgent, bulkAfterUrgent } = await urgentDuringBulk({ priority: 'breaking' });
    expect(urgent.priority).toBe('breaking');
    // The urgent readers had their copy while at least half of the bulk send was still to go.
    expect(bulkAfterUrgent).toBeGreaterThanOrEqual(BULK / 2);
  });

  it('an ordinary dispatch published at the same moment waits behind the queued batches', async () => {
    const { urgent, bulkAfterUrgent } = await urgentDuringBulk({});
    expect(urgent.priority).toBe('normal');
    // At most the batches already being sent (two at a time) finish after it.
    expect(bulkAfterUrgent).toBeLessThanOrEqual(2 * BATCH);
  });

  it('is refused when it is not a known priority', async () => {
    const response = await herald.api('/api/articles', { body: articlePayload({ priority: 'urgent!!' }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('priority');
  });
});
