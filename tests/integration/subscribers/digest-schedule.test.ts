// The digest schedulers on a clock the test sets: a run fires at DIGEST_TIME in DIGEST_TIMEZONE, the day before the
// spring daylight-saving change, on it (07:30 stays 07:30 in Berlin while UTC moves an hour), and on the autumn one;
// the weekly run fires on DIGEST_WEEKDAY at the same local time. The runs send real digests over SMTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleDigests } from '../../../src/digest/digest-scheduler.js';
import { articlePayload } from '../../support/articles.js';
import { TestClock } from '../../support/clock.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { messagesTo } from '../../support/subscribers/http.js';

const clock = new TestClock();
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    clock,
    env: {
      SMTP_URL: smtp.url,
      DIGEST_SCHEDULERS: 'on',
      DIGEST_TIME: '07:30',
      DIGEST_TIMEZONE: 'Europe/Berlin',
      DIGEST_WEEKDAY: 'sunday',
    },
  });
  for (const [email, cadence] of [['daily@example.com', 'daily'], ['weekly@example.com', 'weekly']]) {
    expect((await herald.api('/api/subscribers', { body: { email, cadence } })).status).toBe(201);
  }
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

/** An article whose email dispatch went out at `startedAt` (on the test's calendar). */
async function articleSentAt(title: string, startedAt: string): Promise<void> {
  const response = await herald.api('/api/articles', { body: { ...articlePayload({ title }), channels: ['email'] } });
  const { dispatch } = await response.json();
  await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed', 30_000, 'the article');
  await herald.ctx.db.updateTable('dispatches').set({ startedAt: new Date(startedAt) }).where('id', '=', dispatch.id).execute();
}

/** Sets the clock a few seconds before `at`, has the schedulers read it, and waits for the run of `cadence` ending at `at`. */
async function runFiredAt(cadence: 'daily' | 'weekly', at: string) {
  const run = () =>
    herald.ctx.db.selectFrom('digestRuns').selectAll().where('cadence', '=', cadence).where('periodEnd', '=', new Date(at)).executeTakeFirst();
  return eventually(run, 30_000, `the ${cadence} run at ${at}`);
}

async function setClockBefore(at: string): Promise<void> {
  clock.set(new Date(new Date(at).getTime() - 3000));
  // As a restart would: the schedulers compute their next run from the clock as it now reads.
  await scheduleDigests(herald.ctx.queues.digest, herald.ctx.config);
}

const berlin = (date: Date) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);

const digestsTo = (address: string) => messagesTo(smtp.messages, address).filter((m) => /digest/.test(m.parsed.subject ?? ''));

describe('the digest schedulers', () => {
  it('run the daily digest at 07:30 Berlin time the day before the spring change (06:30 UTC) and on it (05:30 UTC), the weekly on Sunday', async () => {
    await articleSentAt('Harbour reopens after the storm', '2026-03-28T06:00:00Z');
    await setClockBefore('2026-03-28T06:30:00Z');
    const run = await runFiredAt('daily', '2026-03-28T06:30:00Z');
    expect(berlin(run.periodEnd)).toBe('Saturday 07:30');
    expect(run).toMatchObject({ articles: 1, editions: 1 });
    const [digest] = await eventually(async () => digestsTo('daily@example.com').length === 1 && digestsTo('daily@example.com'), 30_000, 'the digest mail');
    expect(digest.parsed.subject).toBe('Your daily digest: Harbour reopens after the storm');
    // Saturday: no weekly run.
    expect(await herald.ctx.db.selectFrom('digestRuns').select('id').where('cadence', '=', 'weekly').execute()).toEqual([]);

    // The next day clocks go forward: both digests at 07:30 Berlin time, now 05:30 UTC.
    await articleSentAt('Clocks go forward tonight', '2026-03-29T05:00:00Z');
    await setClockBefore('2026-03-29T05:30:00Z');
    const daily = await runFiredAt('daily', '2026-03-29T05:30:00Z');
    const weekly = await runFiredAt('weekly', '2026-03-29T05:30:00Z');
    expect(berlin(daily.periodEnd)).toBe('Sunday 07:30');
    expect(berlin(weekly.periodEnd)).toBe('Sunday 07:30');
    // The daily period is the 23 hours since the last run: the story of the 28th is not sent again.
    expect(daily.periodStart).toEqual(new Date('2026-03-28T06:30:00Z'));
    expect(daily).toMatchObject({ articles: 1, editions: 1 });
    const daySubjects = await eventually(async () => {
      const subjects = digestsTo('daily@example.com').map((m) => m.parsed.subject);
      return subjects.length === 2 && subjects;
    }, 30_000, 'the second daily digest');
    expect(daySubjects[1]).toBe('Your daily digest: Clocks go forward tonight');
    const [week] = await eventually(async () => digestsTo('weekly@example.com').length === 1 && digestsTo('weekly@example.com'), 30_000, 'the weekly digest');
    expect(week.parsed.subject).toBe('Your weekly digest: Clocks go forward tonight and 1 more');
  });

  it('run at 07:30 Berlin time on the day clocks go back, 06:30 UTC again', async () => {
    await setClockBefore('2026-10-25T06:30:00Z');
    const daily = await runFiredAt('daily', '2026-10-25T06:30:00Z');
    const weekly = await runFiredAt('weekly', '2026-10-25T06:30:00Z');
    expect(berlin(daily.periodEnd)).toBe('Sunday 07:30');
    expect(berlin(weekly.periodEnd)).toBe('Sunday 07:30');
  });
});
