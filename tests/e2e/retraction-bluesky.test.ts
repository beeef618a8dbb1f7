// Retracting an article posted to the AT Protocol reference server (@atproto/pds 0.4): the record is really gone from
// the PDS afterwards, nothing else on the account is touched, and a post already deleted by hand counts as retracted.
// The four-network retraction (and a 429 on deleteRecord, which a real PDS cannot give on cue) is retraction.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { eventually, type TestHerald } from '../support/herald.js';
import { startHeraldOnReferencePds, stopHeraldOnReferencePds, type ReferencePds } from '../support/networks/reference-pds.js';

interface Post {
  channel: string;
  status: string;
  remoteId: string | null;
  retraction: string | null;
  retractionNote: string | null;
}

let pds: ReferencePds;
let herald: TestHerald;

// One PDS for the file, started before Herald: its start is the slow part.
beforeAll(async () => {
  ({ pds, herald } = await startHeraldOnReferencePds());
}, 180_000);
afterAll(() => stopHeraldOnReferencePds(herald, pds));

/** Publishes to Bluesky only and answers the article id and the post once it is sent. */
async function postedArticle(): Promise<{ id: number; post: Post }> {
  const response = await herald.api('/api/articles', { body: articlePayload({ channels: ['bluesky'] }) });
  expect(response.status).toBe(201);
  const article = (await response.json()) as { id: number; dispatch: { id: number } };
  const view = await eventually(async () => {
    const body = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
    return ['completed', 'completed_with_failures'].includes(body.status) && body;
  }, 50_000, `dispatch ${article.dispatch.id} to complete`);
  expect(view.posts).toMatchObject([{ channel: 'bluesky', status: 'sent' }]);
  return { id: article.id, post: view.posts[0] };
}

async function retracted(articleId: number, reason: string): Promise<Post> {
  const answer = await herald.api(`/api/articles/${articleId}/retract`, { body: { reason } });
  expect(answer.status).toBe(201);
  const body = await eventually(async () => {
    const view = await (await herald.api(`/api/articles/${articleId}/retraction`)).json();
    return view.posts?.length && view.posts.every((p: Post) => p.retraction !== 'pending') && view;
  }, 30_000, `article ${articleId}'s post to be settled`);
  return body.posts[0];
}

describe('retracting a Bluesky post on the reference PDS', () => {
  it('deletes Herald\'s record, which the PDS then answers RecordNotFound for, and leaves the account\'s other posts', async () => {
    const mine = await pds.postByHand('Posted by the desk in the app, not by Herald');
    const { id, post } = await postedArticle();
    expect((await pds.getRecord(post.remoteId!)).uri).toBe(post.remoteId);

    expect(await retracted(id, 'The source withdrew the claim.')).toMatchObject({ retraction: 'retracted' });
    await expect(pds.getRecord(post.remoteId!)).rejects.toMatchObject({ status: 400, error: 'RecordNotFound' });
    const left = (await pds.listPosts()).map((r) => r.uri);
    expect(left).not.toContain(post.remoteId);
    expect(left).toContain(mine);
  });

  it('takes a post the desk already deleted in the app as retracted', async () => {
    const { id, post } = await postedArticle();
    await pds.deleteByHand(post.remoteId!);
    await expect(pds.getRecord(post.remoteId!)).rejects.toMatchObject({ error: 'RecordNotFound' });

    expect(await retracted(id, 'Duplicate story.')).toMatchObject({ status: 'sent', retraction: 'retracted' });
  });
});
