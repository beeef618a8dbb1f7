// Each sample article published through Herald's pipeline to the AT Protocol reference server (@atproto/pds 0.4): the
// composed post passes the PDS's own lexicon validation, and what the PDS holds is read back from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePayload } from '../../support/articles.js';
import { eventually, type TestHerald } from '../../support/herald.js';
import { startHeraldOnReferencePds, stopHeraldOnReferencePds, type ReferencePds, type StoredRecord } from '../../support/networks/reference-pds.js';

let pds: ReferencePds;
let herald: TestHerald;

interface Post {
  channel: string;
  account: string;
  status: string;
  content: string | null;
  remoteId: string | null;
  remoteUrl: string | null;
  attempts: number;
}

// One PDS for the file, started before Herald: its start is the slow part.
beforeAll(async () => {
  ({ pds, herald } = await startHeraldOnReferencePds());
}, 180_000);
afterAll(() => stopHeraldOnReferencePds(herald, pds));

async function publishToBluesky(payload: Record<string, unknown>): Promise<{ url: string; post: Post }> {
  const response = await herald.api('/api/articles', { body: { ...payload, channels: ['bluesky'] } });
  expect(response.status).toBe(201);
  const article = (await response.json()) as { url: string; dispatch: { id: number } };
  const view = await eventually(async () => {
    const body = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
    return ['completed', 'completed_with_failures'].includes(body.status) && body;
  }, 50_000, `dispatch ${article.dispatch.id} to complete`);
  expect(view.posts).toHaveLength(1);
  return { url: article.url, post: view.posts[0] };
}

describe.each(['seed-article', 'unicode-article', 'hostile-article', 'long-article'] as const)('the %s fixture', (name) => {
  let url: string;
  let post: Post;
  let stored: StoredRecord;

  beforeAll(async () => {
    ({ url, post } = await publishToBluesky(fixturePayload(name)));
    expect(post).toMatchObject({ channel: 'bluesky', status: 'sent', attempts: 1 });
    stored = await pds.getRecord(post.remoteId!);
  });

  it('is accepted by the PDS once, as the text Herald recorded', async () => {
    expect(stored.value.$type).toBe('app.bsky.feed.post');
    expect(stored.value.text).toBe(post.content);
    const same = (await pds.listPosts()).filter((r) => r.value.text === stored.value.text);
    expect(same.map((r) => r.uri)).toEqual([post.remoteId]);
  });

  it('carries link facets that cover the article URL\'s bytes in the stored text, and a link card', () => {
    const bytes = Buffer.from(stored.value.text as string, 'utf8');
    expect(stored.value.facets.length).toBeGreaterThan(0);
    for (const facet of stored.value.facets) {
      const shown = bytes.subarray(facet.index.byteStart, facet.index.byteEnd).toString('utf8');
      expect([url, url.replace(/^https?:\/\//, '')]).toContain(shown);
      expect(facet.features).toEqual([{ $type: 'app.bsky.richtext.facet#link', uri: url }]);
    }
    expect(stored.value.embed).toMatchObject({ $type: 'app.bsky.embed.external', external: { uri: url } });
  });

  it('records the account and a post URL whose handle is the record\'s repo', async () => {
    expect(await pds.resolveHandle(post.account)).toBe(pds.did);
    const [, handle = '', rkey] = /^https:\/\/bsky\.app\/profile\/([^/]+)\/post\/([^/]+)$/.exec(post.remoteUrl ?? '') ?? [];
    expect(await pds.resolveHandle(handle)).toBe(pds.did);
    expect(post.remoteId!.endsWith(`/${rkey}`)).toBe(true);
  });
});
