// UNCERTAIN_DELIVERY_POLICY=hold end to end: the server takes a whole message and drops the connection instead of
// answering. Herald cannot know whether it was accepted, so it neither resends it nor calls it failed: the delivery
// is `uncertain`, shown with its reason in the live view, the dispatch completes, and an editor settles it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

let smtp: SmtpSink;
let herald: TestHerald;
const DOUBTFUL = 'doubtful@example.com';
const READERS = ['one@example.com', DOUBTFUL, 'three@example.com'];

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, UNCERTAIN_DELIVERY_POLICY: 'hold', SMTP_POOL_SIZE: '1' } });
  for (const email of READERS) expect((await herald.api('/api/subscribers', { body: { email } })).status).toBe(201);
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

it('holds a message whose connection dropped during DATA as uncertain: never resent, shown, then settled by an editor', async () => {
  smtp.setRule((to) => (to === DOUBTFUL ? 'drop-after-data' : undefined));
  const { dispatch } = await (await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } })).json();
  const done = await eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    // An uncertain delivery is not a success: the finished send says so.
    return view.status === 'completed_with_failures' && view;
  }, 30_000, 'the dispatch to finish with its uncertain delivery');
  smtp.setRule(undefined);

  expect(done.progress).toEqual([{ channel: 'email', total: 3, counts: { sent: 2, uncertain: 1 } }]);
  // The server saw the message once, in full, and nothing came again.
  expect(smtp.droppedAfterData()).toBe(1);
  expect(smtp.countFor(DOUBTFUL)).toBe(0);
  expect(smtp.messages.flatMap((m) => m.envelopeTo).sort()).toEqual(['one@example.com', 'three@example.com']);
  const delivery = await herald.ctx.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
    .select(['deliveries.id', 'deliveries.status', 'deliveries.attempts', 'deliveries.lastResponse'])
    .where('deliveries.dispatchId', '=', dispatch.id).where('subscribers.email', '=', DOUBTFUL).executeTakeFirstOrThrow();
  expect(delivery).toMatchObject({ status: 'uncertain', attempts: 1 });

  const live = await (await herald.api(`/api/dispatches/${dispatch.id}/live`)).json();
  expect(live.failures).toEqual([{ channel: 'email', status: 'uncertain', reason: delivery.lastResponse, count: 1, examples: [DOUBTFUL] }]);

  const resolved = await herald.api(`/api/deliveries/${delivery.id}/resolve`, { body: { status: 'sent', note: 'the reader has it' } });
  expect(resolved.status).toBe(200);
  const after = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
  expect(after.progress[0].counts).toEqual({ sent: 3 });
  expect(smtp.countFor(DOUBTFUL)).toBe(0);
});
