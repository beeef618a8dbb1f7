// The warm-up cap of a new sending domain, through a whole Herald and a real SMTP server on loopback, on a clock the
// test sets: on day 1 of the schedule only its cap arrives, across several batches; the rest waits, shown as waiting,
// and goes out once the clock reaches the next day. Nobody failed, nobody twice.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { TestClock } from '../../support/clock.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

let smtp: SmtpSink;
let herald: TestHerald;
const clock = new TestClock();
const readers = Array.from({ length: 10 }, (_, i) => `reader${i}@example.com`);

beforeAll(async () => {
  smtp = await startSmtpSink();
  clock.set('2026-12-01T12:00:00Z');
  herald = await startTestHerald({
    clock,
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Herald Daily <news@fresh-domain.example>',
      // Four batches share the day's cap.
      EMAIL_BATCH_SIZE: '3',
      HERALD_WARMUP_START: '2026-12-01',
      HERALD_WARMUP_SCHEDULE: '4,100',
      HERALD_WARMUP_RECHECK_MS: '300',
    },
  });
  await herald.ctx.db.insertInto('subscribers')
    .values(readers.map((email) => ({ email, name: null, status: 'confirmed' as const, source: 'test' }))).execute();
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

const counted = async () => (await sql<{ day: string; sent: number }>`
  select day::text as day, sent from warmup_days where sending_domain = 'fresh-domain.example' order by day`.execute(herald.ctx.db)).rows;

describe('warm-up cap', () => {
  it("sends only the day's cap, keeps the rest waiting, and sends it the next day", async () => {
    const response = await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();
    const deliveries = () => herald.ctx.db.selectFrom('deliveries').select(['status', 'lastResponse', 'attempts'])
      .where('dispatchId', '=', dispatch.id).execute();

    // Day 1: the cap goes out; the six others are pending, each saying why, and the dispatch is still running.
    const waiting = await eventually(async () => {
      const rows = await deliveries();
      const shown = rows.filter((d) => d.status === 'pending' && d.lastResponse?.startsWith('waiting: '));
      return rows.length === 10 && shown.length === 6 && rows.filter((d) => d.status === 'sent').length === 4 && shown;
    }, 20_000, 'the rest to wait for the next day');
    expect(waiting[0].lastResponse).toBe("waiting: today's warm-up cap of 4 messages is reached; goes out from 2026-12-02");
    expect(smtp.messages).toHaveLength(4);
    expect(await counted()).toEqual([{ day: '2026-12-01', sent: 4 }]);
    const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    expect(view.status).toBe('running');
    expect(view.progress[0].counts).toEqual({ sent: 4, pending: 6 });

    // The next day: the waiting batches look again and the rest goes out under day 2's cap.
    clock.set('2026-12-02T00:00:05Z');
    await eventually(async () => {
      const v = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return v.status === 'completed' && v;
    }, 20_000, 'the dispatch to complete on day 2');
    for (const to of readers) expect(smtp.countFor(to), to).toBe(1);
    expect(smtp.messages).toHaveLength(10);
    expect(await counted()).toEqual([{ day: '2026-12-01', sent: 4 }, { day: '2026-12-02', sent: 6 }]);
    expect((await deliveries()).every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
  }, 60_000);
});
