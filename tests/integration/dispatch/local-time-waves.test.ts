// "At 07:00 in each reader's zone" end to end on a clock the test sets: the waves planned for the day New York leaves
// summer time, each fired by its delayed job at its instant, what reached the SMTP server per zone, and pause,
// reschedule and cancel acting only on the waves not yet sent. A lost wave job is put back by the reconciler.
import { FlowProducer } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueReconciler } from '../../../src/dispatch/queue-reconciler.js';
import { jobIds } from '../../../src/queue/queues.js';
import { articlePayload } from '../../support/articles.js';
import { dashboardCookie } from '../../support/dashboard-session.js';
import { TestClock } from '../../support/clock.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const clock = new TestClock();
let smtp: SmtpSink;
let herald: TestHerald;
let dispatchId: number;

interface WaveView { waveNo: number; zones: string[]; fireAt: string; status: string; recipients: number; counts: Record<string, number> }

const READERS: [string, string | undefined][] = [
  ['auckland@example.com', 'Pacific/Auckland'],
  ['tokyo@example.com', 'Asia/Tokyo'],
  ['berlin@example.com', undefined], // no zone of their own: the installation's, Europe/Berlin
  ['paris@example.com', 'Europe/Paris'],
  ['ny1@example.com', 'America/New_York'],
  ['ny2@example.com', 'america/new_york'], // spelled loosely: stored canonically, same wave
];

/** This dispatch's recipients as the SMTP server saw them, sorted. */
const arrived = () =>
  smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`)).flatMap((m) => m.envelopeTo).sort();

const waves = async (): Promise<WaveView[]> => (await (await herald.api(`/api/dispatches/${dispatchId}`)).json()).waves;

async function waveJob(waveNo: number) {
  return herald.ctx.queues.dispatch.getJob(jobIds.wave(dispatchId, waveNo));
}

/** The wave's delayed job fires now, as BullMQ would at its instant once the clock reads it. */
async function fire(waveNo: number): Promise<void> {
  const job = await waveJob(waveNo);
  expect(await job!.getState()).toBe('delayed');
  await job!.promote();
}

/** Waits until the wave's job ran and went back to waiting (early, or its dispatch paused). */
async function ranAndWaits(waveNo: number): Promise<void> {
  await eventually(async () => {
    const job = await waveJob(waveNo);
    return job && (await job.getState()) === 'delayed' && job.attemptsStarted > 0;
  }, 20_000, `wave ${waveNo}'s job to run and wait again`);
}

async function waveSent(waveNo: number, sent: number): Promise<WaveView> {
  return eventually(async () => {
    const wave = (await waves()).find((w) => w.waveNo === waveNo);
    return wave?.status === 'sent' && (wave.counts.sent ?? 0) === sent && wave;
  }, 30_000, `wave ${waveNo} to be sent to ${sent}`);
}

beforeAll(async () => {
  // Saturday 31 October 2026, noon UTC: Auckland's 07:00 today has passed, so the date is Sunday 1 November.
  clock.set('2026-10-31T12:00:00Z');
  smtp = await startSmtpSink();
  herald = await startTestHerald({ clock, env: { SMTP_URL: smtp.url, HERALD_TIMEZONE: 'Europe/Berlin', EMAIL_BATCH_SIZE: '1' } });
  for (const [email, timezone] of READERS) {
    expect((await herald.api('/api/subscribers', { body: { email, ...(timezone ? { timezone } : {}) } })).status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('a dispatch at 07:00 local time', () => {
  // One day of one dispatch, in order on the test's clock: each step acts on the state the one before left, so
  // they are one test (a step run alone would find no dispatch, or a clock in the wrong place).
  it('is planned, fires wave by wave, survives a lost job, a pause, a new local time and a cancel', async () => {
    // It is planned as one wave per UTC instant, earliest zone first, DST-correct.
    const response = await herald.api('/api/articles', { body: { ...articlePayload({ title: 'Morning briefing' }), channels: ['email'], localTime: '07:00' } });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();
    dispatchId = dispatch.id;
    expect(dispatch.localTime).toBe('07:00');
    const planned = await eventually(async () => {
      const list = await waves();
      return list.length > 0 && list;
    }, 20_000, 'the waves to be planned');
    expect(planned.map((w) => [w.zones, w.fireAt, w.status])).toEqual([
      [['Pacific/Auckland'], '2026-10-31T18:00:00.000Z', 'scheduled'],
      [['Asia/Tokyo'], '2026-10-31T22:00:00.000Z', 'scheduled'],
      [['Europe/Berlin', 'Europe/Paris'], '2026-11-01T06:00:00.000Z', 'scheduled'],
      // 07:00 EST: the clocks went back at 06:00 UTC that morning.
      [['America/New_York'], '2026-11-01T12:00:00.000Z', 'scheduled'],
    ]);
    for (const w of planned) expect(await (await waveJob(w.waveNo))!.getState()).toBe('delayed');
    // The live view shows them too.
    const live = await (await herald.api(`/api/dispatches/${dispatchId}/live`)).json();
    expect(live.localTime).toBe('07:00');
    expect(live.waves).toHaveLength(4);

    // It sends each wave to its zones only, when it fires.
    clock.set('2026-10-31T18:00:00Z');
    await fire(1);
    await waveSent(1, 1);
    // The other waves' jobs are delayed for hours of real time: only Auckland can have been mailed.
    expect(arrived()).toEqual(['auckland@example.com']);

    // It puts back a lost wave job, at its instant.
    await (await waveJob(2))!.remove();
    const flows = new FlowProducer({ connection: herald.ctx.redis, prefix: herald.ctx.redisPrefix });
    const reconciler = new QueueReconciler(herald.ctx.db, herald.ctx.queues, flows, herald.ctx.redis, {
      intervalMs: 60_000, lockKey: `${herald.ctx.redisPrefix}:test-reconciler-lock`, clock,
    });
    try {
      expect((await reconciler.reconcileOnce()).waves).toBe(1);
    } finally {
      await flows.close();
    }
    const job = await waveJob(2);
    expect(await job!.getState()).toBe('delayed');
    // Delayed by what is left until 22:00 UTC on the test's clock (four hours, less the seconds this test took).
    expect(job!.opts.delay).toBeGreaterThan(3.9 * 3600_000);
    expect(job!.opts.delay).toBeLessThanOrEqual(4 * 3600_000);

    // It holds a due wave while the dispatch is paused and sends it on resume.
    expect((await herald.api(`/api/dispatches/${dispatchId}/pause`, { method: 'POST' })).status).toBe(200);
    clock.set('2026-10-31T22:00:00Z');
    await fire(2);
    await ranAndWaits(2);
    expect((await waves())[1].status).toBe('scheduled');
    expect(arrived()).toEqual(['auckland@example.com']);

    expect((await herald.api(`/api/dispatches/${dispatchId}/resume`, { method: 'POST' })).status).toBe(200);
    await waveSent(2, 1);
    expect(arrived()).toEqual(['auckland@example.com', 'tokyo@example.com']);

    // It moves only the waves not yet sent to a new local time.
    const rescheduled = await herald.api(`/api/dispatches/${dispatchId}/reschedule`, { body: { localTime: '08:00' } });
    expect(rescheduled.status).toBe(200);
    expect((await waves()).map((w) => w.fireAt)).toEqual([
      '2026-10-31T18:00:00.000Z', // sent: stays
      '2026-10-31T22:00:00.000Z', // sent: stays
      '2026-11-01T07:00:00.000Z', // 08:00 CET
      '2026-11-01T13:00:00.000Z', // 08:00 EST
    ]);
    // A job that fires before its row's (new) instant waits for it.
    clock.set('2026-11-01T06:30:00Z');
    await fire(3);
    await ranAndWaits(3);
    expect((await waves())[2].status).toBe('scheduled');

    clock.set('2026-11-01T07:00:00Z');
    await fire(3);
    await waveSent(3, 2);
    expect(arrived()).toEqual(['auckland@example.com', 'berlin@example.com', 'paris@example.com', 'tokyo@example.com']);

    // It cancels the waves not yet sent: New York never gets it.
    const cancelled = await herald.api(`/api/dispatches/${dispatchId}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    const list = await waves();
    expect(list.map((w) => w.status)).toEqual(['sent', 'sent', 'sent', 'cancelled']);
    expect(list.map((w) => w.counts.sent ?? 0)).toEqual([1, 1, 2, 0]);
    // The dashboard's live view shows the same waves.
    const cookie = await dashboardCookie(herald.baseUrl, ADMIN_TOKEN);
    const fragment = await (await fetch(`${herald.baseUrl}/dispatches/${dispatchId}/live`, { headers: { cookie } })).text();
    expect([...fragment.matchAll(/data-wave="(\d+)" data-wave-status="(\w+)"><td class="small">([^<]*)</g)].map((m) => [m[1], m[2], m[3]])).toEqual([
      ['1', 'sent', 'Pacific/Auckland'],
      ['2', 'sent', 'Asia/Tokyo'],
      ['3', 'sent', 'Europe/Berlin, Europe/Paris'],
      ['4', 'cancelled', 'America/New_York'],
    ]);
    expect(await waveJob(4)).toBeUndefined();
    expect(arrived()).toEqual(['auckland@example.com', 'berlin@example.com', 'paris@example.com', 'tokyo@example.com']);
    const stored = await herald.ctx.db.selectFrom('subscribers').select(['email', 'timezone']).orderBy('email').execute();
    expect(stored.find((s) => s.email === 'ny2@example.com')?.timezone).toBe('America/New_York');
  }, 180_000);
});

describe('a local-time dispatch left to run', () => {
  it('completes once its last wave is sent', async () => {
    // A fresh dispatch, planned with the clock at 07:00 UTC on 1 November.
    clock.set('2026-11-01T07:00:00Z');
    const response = await herald.api('/api/articles', { body: { ...articlePayload({ title: 'Evening edition' }), channels: ['email'], localTime: '09:00' } });
    const { dispatch } = await response.json();
    expect(dispatch.localTime).toBe('09:00');
    const planned = await eventually(async () => {
      const list: WaveView[] = (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).waves;
      return list.length > 0 && list;
    }, 20_000, 'the waves to be planned');
    // Every reader matches an article with no topic choice: all six, in four waves, on 2 November (Auckland's 09:00
    // on 1 November passed at 20:00 UTC the day before).
    expect(planned.map((w) => w.fireAt)).toEqual([
      '2026-11-01T20:00:00.000Z', '2026-11-02T00:00:00.000Z', '2026-11-02T08:00:00.000Z', '2026-11-02T14:00:00.000Z',
    ]);
    for (const w of planned) {
      clock.set(w.fireAt);
      const job = await herald.ctx.queues.dispatch.getJob(jobIds.wave(dispatch.id, w.waveNo));
      await job!.promote();
    }
    const done = await eventually(async () => {
      const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return view.status === 'completed' && view;
    }, 30_000, 'the dispatch to complete');
    expect(done.progress).toEqual([{ channel: 'email', total: 6, counts: { sent: 6 } }]);
  });
});
