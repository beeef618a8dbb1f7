// A daily digest at DIGEST_TIME in each reader's zone: the run at 08:00 UTC (DIGEST_TIMEZONE) mails the readers whose
// clocks read 08:00 then at once, and the others in waves at 08:00 where they live, on the test's clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from '../../../src/queue/queues.js';
import { articlePayload } from '../../support/articles.js';
import { TestClock } from '../../support/clock.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { messagesTo } from '../../support/subscribers/http.js';

const clock = new TestClock();
let smtp: SmtpSink;
let herald: TestHerald;
const RUN_AT = '2026-11-01T08:00:00.000Z';

beforeAll(async () => {
  clock.set(RUN_AT);
  smtp = await startSmtpSink();
  herald = await startTestHerald({ clock, env: { SMTP_URL: smtp.url, DIGEST_TIME: '08:00', DIGEST_TIMEZONE: 'UTC' } });
  for (const [email, timezone] of [['utc@example.com', undefined], ['london@example.com', 'Europe/London'], ['ny@example.com', 'America/New_York'], ['tokyo@example.com', 'Asia/Tokyo']]) {
    expect((await herald.api('/api/subscribers', { body: { email, cadence: 'daily', ...(timezone ? { timezone } : {}) } })).status).toBe(201);
  }
  const { dispatch } = await (await herald.api('/api/articles', { body: { ...articlePayload({ title: 'Bridge vote tonight' }), channels: ['email'] } })).json();
  await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed', 30_000, 'the article');
  await herald.ctx.db.updateTable('dispatches').set({ startedAt: new Date('2026-11-01T06:00:00Z') }).where('id', '=', dispatch.id).execute();
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

const digestsTo = (address: string) => messagesTo(smtp.messages, address).filter((m) => /digest/.test(m.parsed.subject ?? ''));

describe('a daily digest', () => {
  it('goes out at 08:00 in each reader\'s zone', async () => {
    await herald.ctx.queues.digest.add('digest', { cadence: 'daily', at: RUN_AT });
    const dispatchId = await eventually(async () => (await herald.ctx.db.selectFrom('digestEditions').select('dispatchId').executeTakeFirst())?.dispatchId, 20_000, 'the digest edition');
    const waves = await eventually(async () => {
      const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
      return view.waves.length > 0 && view.waves;
    }, 20_000, 'the waves');
    expect(waves.map((w: { zones: string[]; fireAt: string }) => [w.zones, w.fireAt])).toEqual([
      [['Europe/London', 'UTC'], RUN_AT], // GMT since 25 October: their 08:00 is now
      [['America/New_York'], '2026-11-01T13:00:00.000Z'], // 08:00 EST, the day the clocks went back
      [['Asia/Tokyo'], '2026-11-01T23:00:00.000Z'],
    ]);
    await eventually(async () => digestsTo('utc@example.com').length === 1 && digestsTo('london@example.com').length === 1, 30_000, 'the first wave');

    clock.set('2026-11-01T13:00:00Z');
    await (await herald.ctx.queues.dispatch.getJob(jobIds.wave(dispatchId, 2)))!.promote();
    await eventually(async () => digestsTo('ny@example.com').length === 1, 30_000, 'the New York wave');
    // Tokyo's wave is still delayed for hours of real time.
    expect(digestsTo('tokyo@example.com')).toEqual([]);
    expect(digestsTo('ny@example.com')[0].parsed.subject).toBe('Your daily digest: Bridge vote tonight');
  });
});
