// Correcting an article over the API: the correction email reaches only the readers who got the edition, once
// each (checked on the SMTP server), and each network stand-in receives the reply (or Mastodon the edit) through
// the real client libraries; a repeated request sends nothing more; 400/404/409 answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type ApiResponse, type TestHerald } from '../support/herald.js';
import { runHerald } from '../support/processes.js';
import { signIn } from '../support/dashboard-session.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { SOCIAL_CHANNELS, startSocialStandIns, type SocialStandIns } from '../support/social.js';

interface Post {
  channel: string;
  status: string;
  outcome: string | null;
  remoteId: string | null;
  note: string | null;
  originalDeliveryId: number;
}
interface Correction {
  id: number;
  note: string;
  repeated: boolean;
  emails: Record<string, number>;
  posts: Post[];
}

const READERS = ['c1@example.com', 'c2@example.com', 'c3@example.com'];

let net: SocialStandIns;
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  net = await startSocialStandIns();
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { ...net.env, SMTP_URL: smtp.url } });
  await herald.ctx.db
    .insertInto('subscribers')
    .values([
      ...READERS.map((email) => ({ email, status: 'confirmed' as const, topics: ['corr'] })),
      { email: 'other-topic@example.com', status: 'confirmed' as const, topics: ['elsewhere'] },
    ])
    .execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
  await net?.close();
});

async function publishAndSend(overrides: Record<string, unknown> = {}) {
  const response = await herald.api('/api/articles', {
    body: articlePayload({ section: 'corr', tags: [], channels: ['email', ...SOCIAL_CHANNELS], ...overrides }),
  });
  expect(response.status).toBe(201);
  const article = (await response.json()) as { id: number; title: string; dispatch: { id: number } };
  const view = await eventually(async () => {
    const body = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
    return ['completed', 'completed_with_failures'].includes(body.status) && body;
  }, 30_000, 'the send to complete');
  const delivered = view.progress.find((c: { channel: string }) => c.channel === 'email')?.counts.sent as number;
  return { article, delivered, posts: view.posts as { id: number; channel: string; remoteId: string; content: string }[] };
}

const correct = (articleId: number, body: unknown): Promise<ApiResponse> => herald.api(`/api/articles/${articleId}/correct`, { body });

/** The article's correction with this note, once nothing of it is pending or sending any more. */
async function settled(articleId: number, note: string): Promise<Correction> {
  return eventually(async () => {
    const list = (await (await herald.api(`/api/articles/${articleId}/corrections`)).json()) as Correction[];
    const found = list.find((c) => c.note === note);
    const open = (s: string) => s === 'pending' || s === 'sending';
    return found && !found.posts.some((p) => open(p.status)) && !Object.keys(found.emails).some(open) && found;
  }, 30_000, `correction "${note}" to settle`);
}

const correctionMails = (note: string) => smtp.messages.filter((m) => (m.parsed.text ?? '').includes(note));

describe('a correction by email and by reply/edit', () => {
  const NOTE = 'The minister resigned on Tuesday, not Monday.';
  let article: { id: number; title: string; dispatch: { id: number } };
  let sent: { id: number; channel: string; remoteId: string; content: string }[];
  let first: ApiResponse;

  beforeAll(async () => {
    ({ article, posts: sent } = await publishAndSend());
    // Subscribed after the send: never got the edition, so gets no correction either.
    await herald.ctx.db.insertInto('subscribers').values({ email: 'late@example.com', status: 'confirmed', topics: ['corr'] }).execute();
    first = await correct(article.id, { note: NOTE, email: true, social: 'edit' });
  });

  it('emails only the readers who got the edition, once each, with the list headers', async () => {
    expect(first.status).toBe(201);
    const correction = await settled(article.id, NOTE);
    expect(correction.emails).toEqual({ sent: 3 });
    const mails = correctionMails(NOTE);
    expect(mails.map((m) => m.envelopeTo[0]).sort()).toEqual(READERS);
    for (const mail of mails) {
      expect(mail.parsed.subject).toBe(`Correction: ${article.title}`);
      const headers = mail.raw.toString('utf8').split('\r\n\r\n')[0]!;
      expect(headers).toMatch(/^List-Unsubscribe: <http:\/\/[^>]+\/unsubscribe\/[^>]+>/m);
      expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
      expect(headers).toMatch(/^List-Id: /m);
      expect(mail.parsed.html).toContain(NOTE.replace(/'/g, '&#39;'));
    }
  });

  it('edits the Mastodon status in place and replies under the post on X, Bluesky and Facebook', async () => {
    const correction = await settled(article.id, NOTE);
    const by = Object.fromEntries(correction.posts.map((p) => [p.channel, p]));
    const original = Object.fromEntries(sent.map((p) => [p.channel, p]));
    expect(Object.keys(by).sort()).toEqual([...SOCIAL_CHANNELS].sort());

    // Mastodon: the same status, its text now carrying the correction (PUT /api/v1/statuses/:id); no new status.
    expect(by.mastodon).toMatchObject({ status: 'sent', outcome: 'edited', remoteId: original.mastodon!.remoteId, note: null });
    const status = net.mastodon.statuses.find((s) => s.id === original.mastodon!.remoteId)!;
    expect(status.text).toBe(`${original.mastodon!.content}\n\nCorrection: ${NOTE}`);
    expect(status.edits).toEqual([original.mastodon!.content]);
    expect(net.mastodon.statuses).toHaveLength(1);

    // The others cannot edit: a reply, and the outcome says so.
    for (const network of ['x', 'bluesky', 'facebook']) {
      expect(by[network], network).toMatchObject({ status: 'sent', outcome: 'replied' });
      expect(by[network]!.note, network).toMatch(/replied instead/);
    }
    const tweet = net.x.tweets.find((t) => t.id === by.x!.remoteId)!;
    expect(tweet).toMatchObject({ text: `Correction: ${NOTE}`, inReplyTo: original.x!.remoteId });
    expect(net.x.authFailures).toEqual([]);

    const record = net.bluesky.records.find((r) => r.uri === by.bluesky!.remoteId)!;
    const parent = net.bluesky.records.find((r) => r.uri === original.bluesky!.remoteId)!;
    expect(record.record.text).toBe(`Correction: ${NOTE}`);
    expect(record.record.reply).toEqual({ root: { uri: parent.uri, cid: parent.cid }, parent: { uri: parent.uri, cid: parent.cid } });

    expect(net.facebook.comments).toEqual([{ id: by.facebook!.remoteId, postId: original.facebook!.remoteId, message: `Correction: ${NOTE}` }]);
  });

  it('links the correction to the original in the event log', async () => {
    const correction = await settled(article.id, NOTE);
    const events = await herald.ctx.db.selectFrom('events').selectAll().where('event', 'in', ['article.corrected', 'dispatch.corrected', 'delivery.correction']).execute();
    const mine = events.filter((e) => (e.detail as { correctionId?: number } | null)?.correctionId === correction.id);
    expect(mine.filter((e) => e.event === 'article.corrected').map((e) => e.subjectId)).toEqual([String(article.id)]);
    expect(mine.filter((e) => e.event === 'dispatch.corrected')).toHaveLength(1);
    expect(mine.filter((e) => e.event === 'delivery.correction').map((e) => e.subjectId).sort()).toEqual(sent.map((p) => String(p.id)).sort());

    const report = await (await herald.api(`/api/dispatches/${article.dispatch.id}/report`)).json();
    const listed = report.corrections.find((c: { id: number }) => c.id === correction.id);
    expect(listed).toMatchObject({ note: NOTE, email: { sent: 3 } });
    expect(listed.posts.map((p: Post) => `${p.channel} ${p.outcome}`).sort()).toEqual(['bluesky replied', 'facebook replied', 'mastodon edited', 'x replied']);
    const csv = await (await herald.api(`/api/dispatches/${article.dispatch.id}/report?format=csv`)).text();
    expect(csv).toContain(`correction,${correction.id} email sent,"${NOTE}",3`);
  });

  it('sends nobody a second copy when the same correction is asked for again', async () => {
    await settled(article.id, NOTE);
    const again = await correct(article.id, { note: NOTE, email: true, social: 'reply' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ repeated: true, social: 'edit', emails: { sent: 3 } });
    // A second, different correction queued behind the repeat: once it is through, the repeat had its chance.
    const SECOND = 'The vote was 52 to 48.';
    expect((await correct(article.id, { note: SECOND, email: true, social: 'reply' })).status).toBe(201);
    const second = await settled(article.id, SECOND);
    expect(second.emails).toEqual({ sent: 3 });
    expect(correctionMails(SECOND)).toHaveLength(3);
    expect(correctionMails(NOTE)).toHaveLength(3);
    expect(net.x.tweets.filter((t) => t.text === `Correction: ${NOTE}`)).toHaveLength(1);
    expect(net.facebook.comments.filter((c) => c.message === `Correction: ${NOTE}`)).toHaveLength(1);
    // The second asked for replies: Mastodon gets one under the original status this time.
    const mastodonReply = second.posts.find((p) => p.channel === 'mastodon')!;
    expect(mastodonReply).toMatchObject({ status: 'sent', outcome: 'replied', note: null });
    expect(net.mastodon.statuses.find((s) => s.id === mastodonReply.remoteId)).toMatchObject({
      text: `Correction: ${SECOND}`,
      inReplyToId: sent.find((p) => p.channel === 'mastodon')!.remoteId,
    });
  });
});

describe('the dashboard', () => {
  it('corrects from the dispatch page and lists what each correction came to', async () => {
    const { article } = await publishAndSend({ channels: ['email', 'facebook'] });
    const dispatchId = (await herald.ctx.db.selectFrom('dispatches').select('id').where('articleId', '=', article.id).executeTakeFirstOrThrow()).id;
    const { cookie, csrf } = await signIn(herald.baseUrl, ADMIN_TOKEN);
    const page = await (await fetch(`${herald.baseUrl}/dispatches/${dispatchId}`, { headers: { cookie } })).text();
    expect(page).toContain(`action="/dispatches/${dispatchId}/correct"`);
    const NOTE = 'The <b>mayor</b> is 54.';
    const posted = await fetch(`${herald.baseUrl}/dispatches/${dispatchId}/correct`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, note: NOTE, social: 'reply' }),
    });
    expect(posted.status).toBe(303);
    await settled(article.id, NOTE);
    const after = await (await fetch(`${herald.baseUrl}/dispatches/${dispatchId}`, { headers: { cookie } })).text();
    expect(after).toContain('The &lt;b&gt;mayor&lt;/b&gt; is 54.');
    expect(after).toMatch(/data-correction-post="facebook" data-status="sent">Facebook: replied under the post/);
    expect(net.facebook.comments.filter((c) => c.message === `Correction: ${NOTE}`)).toHaveLength(1);
    expect(correctionMails(NOTE)).toHaveLength(0); // the box was left unticked
  });
});

describe('herald articles correct', () => {
  it('corrects through the API and prints each outcome; a repeat says nobody is sent it twice', async () => {
    const { article, delivered } = await publishAndSend({ channels: ['email', 'mastodon', 'x'] });
    const cli = (...args: string[]) => runHerald([...args, '--url', herald.baseUrl], { HERALD_TOKEN: ADMIN_TOKEN, HERALD_DATA_DIR: herald.env.HERALD_DATA_DIR! });
    const NOTE = 'The bridge is in Leeds, not York.';
    const first = await cli('articles', 'correct', String(article.id), '--note', NOTE, '--email', '--social', 'edit');
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain(`Article ${article.id} corrected`);
    expect(first.output).toContain(`Email: ${delivered} sent`);
    expect(first.output).toMatch(/Mastodon .*: edited/);
    expect(first.output).toMatch(/X .*: replied \(X lets no app edit a post: replied instead\)/);
    expect(correctionMails(NOTE)).toHaveLength(delivered);
    const again = await cli('articles', 'correct', String(article.id), '--note', NOTE, '--email');
    expect(again.output).toContain('already corrected with this note');
    const bad = await cli('articles', 'correct', String(article.id), '--note', 'x', '--social', 'delete');
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/--social must be reply or edit/);
  });
});

describe('what cannot be corrected', () => {
  it('answers 404 for an unknown article', async () => {
    const answer = await correct(999_999, { note: 'x', email: true });
    expect(answer.status).toBe(404);
  });

  it('answers 400 naming the field for a bad request', async () => {
    const { article } = await publishAndSend({ channels: ['email'] });
    for (const [body, path] of [
      [{ note: '', email: true }, 'note'],
      [{ note: 'fine', social: 'delete' }, 'social'],
      [{ note: 'fine', email: 'yes' }, 'email'],
      [{ note: 'fine' }, 'social'],
      [{ note: 'x'.repeat(501), email: true }, 'note'],
    ] as const) {
      const answer = await correct(article.id, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      const error = await answer.json();
      expect(error.code).toBe('invalid_input');
      expect(JSON.stringify(error.issues ?? error), JSON.stringify(body)).toContain(path);
    }
  });

  it('answers 409 for an article not sent yet, and for a retracted one', async () => {
    const response = await herald.api('/api/articles', {
      body: articlePayload({ section: 'corr', channels: ['email'], schedule: { at: new Date(Date.now() + 3_600_000).toISOString() } }),
    });
    const scheduled = (await response.json()) as { id: number };
    const early = await correct(scheduled.id, { note: 'Too early', email: true });
    expect(early.status).toBe(409);
    expect((await early.json()).error).toMatch(/not finished sending/);
    const dispatchId = (await herald.ctx.db.selectFrom('dispatches').select('id').where('articleId', '=', scheduled.id).executeTakeFirstOrThrow()).id;
    expect((await herald.api(`/api/dispatches/${dispatchId}/cancel`, { body: {} })).status).toBe(200);
    const never = await correct(scheduled.id, { note: 'Never went out', email: true });
    expect(never.status).toBe(409);
    expect((await never.json()).error).toMatch(/nothing of this article was ever sent/);

    const { article } = await publishAndSend({ channels: ['email'] });
    expect((await herald.api(`/api/articles/${article.id}/retract`, { body: { reason: 'Withdrawn.' } })).status).toBe(201);
    const late = await correct(article.id, { note: 'Too late', email: true });
    expect(late.status).toBe(409);
    expect((await late.json()).error).toMatch(/retracted/);
  });
});
