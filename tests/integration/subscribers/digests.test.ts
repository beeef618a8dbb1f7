// Daily and weekly digests: a job scheduler per cadence at DIGEST_TIME in DIGEST_TIMEZONE; each run groups the
// cadence's subscribers by which of the period's articles match their topics and sends one digest edition per group
// through the ordinary pipeline; nothing goes out when nothing is new, and instant subscribers are not affected.
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestJobData } from '../../../src/digest/digest-scheduler.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { listUnsubscribeUrl, messagesTo } from '../../support/subscribers/http.js';

let smtp: SmtpSink;
let herald: TestHerald;
const titles = { sports: 'Cup final goes to penalties', nation: 'Parliament passes the budget', both: 'Minister opens the new stadium', weather: 'Storm warning for the coast' };

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    env: { SMTP_URL: smtp.url, DIGEST_TIME: '07:30', DIGEST_TIMEZONE: 'Europe/Berlin', DIGEST_WEEKDAY: 'friday', LIST_NAME: 'Herald Daily' },
  });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

async function addSubscriber(email: string, cadence: string, topics: string[] = []): Promise<number> {
  const response = await herald.api('/api/subscribers', { body: { email, cadence, topics } });
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

async function publish(title: string, section: string | null, tags: string[], minutesAgo: number): Promise<number> {
  const publishedAt = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const response = await herald.api('/api/articles', { body: { ...articlePayload({ title, section, tags, publishedAt }), channels: ['email'] } });
  return (await response.json()).dispatch.id;
}

const allCompleted = () => eventually(async () => {
  const open = await herald.ctx.db.selectFrom('dispatches').select('id').where('status', '!=', 'completed').execute();
  return open.length === 0;
}, 30_000, 'every dispatch to complete');

async function runDigest(data: DigestJobData): Promise<{ status: string; articles: number; editions: number[] }> {
  const job = await herald.ctx.queues.digest.add('digest', data);
  const finished = await eventually(async () => {
    const current = (await herald.ctx.queues.digest.getJob(job.id!)) as Job | undefined;
    if (current?.failedReason) throw new Error(current.failedReason);
    return current?.finishedOn ? current : undefined;
  }, 20_000, 'the digest job');
  await allCompleted();
  return finished.returnvalue;
}

const digestsTo = (address: string) => messagesTo(smtp.messages, address).filter((m) => /digest/.test(m.parsed.subject ?? ''));

describe('the digest schedulers', () => {
  // Their firing at DIGEST_TIME in DIGEST_TIMEZONE, across daylight-saving changes: digest-schedule.test.ts.
  it('are not there with DIGEST_SCHEDULERS=off (as in every test), so no run comes by the clock', async () => {
    expect(await herald.ctx.queues.digest.getJobScheduler('digest-daily')).toBeUndefined();
    expect(await herald.ctx.queues.digest.getJobScheduler('digest-weekly')).toBeUndefined();
  });
});

describe('a digest run', () => {
  const at = () => new Date(Date.now() + 60_000).toISOString();

  beforeAll(async () => {
    await addSubscriber('instant@example.com', 'instant');
    await addSubscriber('daily-all@example.com', 'daily');
    await addSubscriber('daily-sports@example.com', 'daily', ['sports']);
    await addSubscriber('daily-sports-weather@example.com', 'daily', ['sports', 'weather']);
    await addSubscriber('daily-culture@example.com', 'daily', ['culture']);
    const paused = await addSubscriber('daily-paused@example.com', 'daily');
    await herald.ctx.db.updateTable('subscribers').set({ paused: true }).where('id', '=', paused).execute();
    await addSubscriber('weekly-nation@example.com', 'weekly', ['nation']);

    await publish(titles.sports, 'Sports', [], 40);
    const nation = await publish(titles.nation, 'Nation', [], 30);
    await publish(titles.both, null, ['Sports', 'Nation'], 20);
    await publish(titles.weather, 'Weather', [], 10);
    await allCompleted();
    // The budget story went out three days ago: in this week's digest, not in today's.
    await herald.ctx.db.updateTable('dispatches').set({ startedAt: new Date(Date.now() - 3 * 86_400_000) }).where('id', '=', nation).execute();
  });

  it('leaves instant subscribers with their instant editions only', () => {
    expect(messagesTo(smtp.messages, 'instant@example.com').map((m) => m.parsed.subject).sort()).toEqual(Object.values(titles).sort());
    expect(messagesTo(smtp.messages, 'daily-all@example.com')).toHaveLength(0);
  });

  it('sends each daily subscriber one digest of the day\'s stories matching their topics', async () => {
    const result = await runDigest({ cadence: 'daily', at: at() });
    expect(result).toMatchObject({ status: 'created', articles: 3 });
    expect(result.editions).toHaveLength(2); // {sports, both} and {sports, both, weather}

    // One digest each for the three daily readers whose topics match something.
    for (const address of ['daily-sports@example.com', 'daily-all@example.com', 'daily-sports-weather@example.com']) {
      expect(digestsTo(address), address).toHaveLength(1);
    }
    const [sports] = digestsTo('daily-sports@example.com');
    expect(sports.parsed.subject).toBe(`Your daily digest: ${titles.both} and 1 more`);
    expect(sports.parsed.text).toContain(titles.sports);
    expect(sports.parsed.text).not.toContain(titles.weather);
    expect(sports.parsed.text).not.toContain(titles.nation);

    const [everything] = digestsTo('daily-all@example.com');
    expect(everything.parsed.subject).toBe(`Your daily digest: ${titles.weather} and 2 more`);
    // Newest first.
    const text = everything.parsed.text ?? '';
    expect(text.indexOf(titles.weather)).toBeLessThan(text.indexOf(titles.both));
    expect(text.indexOf(titles.both)).toBeLessThan(text.indexOf(titles.sports));
    expect(text).not.toContain(titles.nation);
    // Same set of stories, same edition: grouped by what matches, not by the topics chosen.
    const [sportsAndWeather] = digestsTo('daily-sports-weather@example.com');
    expect(sportsAndWeather.parsed.subject).toBe(everything.parsed.subject);
    expect(sportsAndWeather.parsed.messageId!.split('.')[1]).toBe(everything.parsed.messageId!.split('.')[1]);

    expect(digestsTo('daily-culture@example.com')).toHaveLength(0);
    expect(digestsTo('daily-paused@example.com')).toHaveLength(0);
    expect(digestsTo('weekly-nation@example.com')).toHaveLength(0);
    expect(digestsTo('instant@example.com')).toHaveLength(0);
    expect(listUnsubscribeUrl(sports)).toMatch(/\/unsubscribe\/u\./);
  });

  it('sends the weekly digest with the whole week, to weekly subscribers only', async () => {
    const before = smtp.messages.length;
    const result = await runDigest({ cadence: 'weekly', at: at() });
    expect(result).toMatchObject({ status: 'created', articles: 4 });
    expect(result.editions).toHaveLength(1);
    expect(smtp.messages.length).toBe(before + 1);
    const [weekly] = digestsTo('weekly-nation@example.com');
    expect(weekly.parsed.subject).toBe(`Your weekly digest: ${titles.both} and 1 more`);
    expect(weekly.parsed.text).toContain(titles.nation);
  });

  it('sends nothing when nothing is new, and runs a period only once', async () => {
    // Its own first run takes whatever the period holds (nothing, when the daily test above ran first), so this test
    // does not depend on the others having run.
    await runDigest({ cadence: 'daily', at: new Date(Date.now() + 120_000).toISOString() });
    const runsBefore = await herald.ctx.db.selectFrom('digestRuns').select('id').execute();
    const before = smtp.messages.length;
    const later = new Date(Date.now() + 180_000).toISOString();
    expect(await runDigest({ cadence: 'daily', at: later })).toEqual({ status: 'nothing-new', articles: 0, editions: [] });
    expect(await runDigest({ cadence: 'daily', at: later })).toEqual({ status: 'already-ran', articles: 0, editions: [] });
    expect(smtp.messages.length).toBe(before);
    // The empty run is recorded once; running the same period again adds no row.
    const runs = await herald.ctx.db.selectFrom('digestRuns').select(['cadence', 'articles', 'editions']).orderBy('id').execute();
    expect(runs.slice(runsBefore.length)).toEqual([{ cadence: 'daily', articles: 0, editions: 0 }]);
  });
});
