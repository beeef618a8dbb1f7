// A correction's rows decide after a crash: a reader whose row a crash left `sending` is never mailed a second copy
// (it is held as uncertain), a temporary SMTP refusal is retried until the reader has it once, an X reply left
// `sending` is not repeated (X honours no idempotency key), and a Mastodon one is (its Idempotency-Key).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordCorrection } from '../../../src/articles/corrections.js';
import { queueOpen } from '../../../src/editorial/correct.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { startSocialStandIns, type SocialStandIns } from '../../support/social.js';

const READERS = ['k1@example.com', 'k2@example.com', 'crashed@example.com', 'greylisted@example.com'];
let net: SocialStandIns;
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  net = await startSocialStandIns();
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { ...net.env, SMTP_URL: smtp.url } });
  await herald.ctx.db.insertInto('subscribers').values(READERS.map((email) => ({ email, status: 'confirmed' as const, topics: ['crash'] }))).execute();
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
  await net?.close();
});

it('resumes from the rows: no second copy for an interrupted reader or X reply, a retry for the temporary refusal', async () => {
  const answer = await herald.api('/api/articles', { body: articlePayload({ section: 'crash', tags: [], channels: ['email', 'x', 'mastodon'] }) });
  const { id: articleId, dispatch } = await answer.json();
  await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed', 30_000, 'the send');
  const editionMails = smtp.messages.length;

  // What a crash leaves: the correction and its rows committed, some rows claimed (`sending`), no job yet.
  const NOTE = 'The figure was 12%, not 21%.';
  const { db } = herald.ctx;
  const recorded = await db.transaction().execute((tx) =>
    recordCorrection(tx, { articleId, note: NOTE, email: true, social: 'reply', cause: 'test' }, [dispatch.id]),
  );
  const correctionId = recorded!.correction.id;
  const subscriberIds = new Map(
    (await db.selectFrom('subscribers').select(['id', 'email']).execute()).map((s) => [s.email, s.id] as const),
  );
  await db.updateTable('correctionDeliveries').set({ status: 'sending', attempts: 1 })
    .where('correctionId', '=', correctionId)
    .where((eb) => eb.or([eb('subscriberId', '=', subscriberIds.get('crashed@example.com')!), eb('channel', 'in', ['x', 'mastodon'])]))
    .execute();
  let greylisted = false;
  smtp.setRule((to) => {
    if (to !== 'greylisted@example.com' || greylisted) return undefined;
    greylisted = true;
    return { code: 451, message: '4.7.1 Greylisted, try again' };
  });
  await queueOpen(herald.ctx, correctionId);

  const rows = await eventually(async () => {
    const all = await db.selectFrom('correctionDeliveries').selectAll().where('correctionId', '=', correctionId).execute();
    return all.every((r) => r.status !== 'pending' && r.status !== 'sending') && all;
  }, 30_000, 'the correction to settle');
  const by = (key: string) => rows.find((r) => r.subscriberId === subscriberIds.get(key) || r.channel === key)!;

  expect(by('crashed@example.com')).toMatchObject({ status: 'uncertain' });
  expect(by('greylisted@example.com')).toMatchObject({ status: 'sent', outcome: 'emailed', attempts: 2 }); // refused once, then sent
  const received = smtp.messages.slice(editionMails).map((m) => m.envelopeTo[0]).sort();
  expect(received).toEqual(['greylisted@example.com', 'k1@example.com', 'k2@example.com']);

  expect(by('x')).toMatchObject({ status: 'uncertain' });
  expect(net.x.tweets.filter((t) => t.inReplyTo)).toEqual([]);
  expect(by('mastodon')).toMatchObject({ status: 'sent', outcome: 'replied' });
  expect(net.mastodon.statuses.filter((s) => s.inReplyToId).map((s) => s.text)).toEqual([`Correction: ${NOTE}`]);
});
