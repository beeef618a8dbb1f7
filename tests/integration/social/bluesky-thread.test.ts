// A thread and a correction on the AT Protocol reference server (@atproto/pds 0.4): an editor's text too long for one
// post becomes numbered parts whose reply refs ({uri, cid} of the root and the parent) the PDS accepts and holds; a
// correction replies under the thread's first post; a retraction deletes every part. All read back from the PDS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphemes } from '../../../src/social/length.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, type TestHerald } from '../../support/herald.js';
import { startHeraldOnReferencePds, stopHeraldOnReferencePds, type ReferencePds, type StoredRecord } from '../../support/networks/reference-pds.js';

let pds: ReferencePds;
let herald: TestHerald;

const URL = 'https://news.example.org/threads/pds';
const TEXT = `The council's budget, explained in one thread; the whole story is at ${URL} for every detail. ` +
  Array.from({ length: 10 }, (_, i) => `Point ${i + 1}: the line item grew again this year and nobody has said why 🧾.`).join(' ');

interface Part { position: number; text: string; state: string; remoteId: string | null }
interface Post { channel: string; status: string; remoteId: string | null; parts?: Part[] }

// One PDS for the file, started before Herald: its start is the slow part.
beforeAll(async () => {
  ({ pds, herald } = await startHeraldOnReferencePds());
}, 180_000);
afterAll(() => stopHeraldOnReferencePds(herald, pds));

async function publishThread(externalId: string): Promise<{ articleId: number; post: Post; records: StoredRecord[] }> {
  const response = await herald.api('/api/articles', {
    body: articlePayload({ externalId, url: URL, channels: ['bluesky'], socialTexts: { bluesky: TEXT } }),
  });
  expect(response.status).toBe(201);
  const article = (await response.json()) as { id: number; dispatch: { id: number } };
  const view = await eventually(async () => {
    const body = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
    return body.status === 'completed' && body;
  }, 60_000, 'the thread to go out');
  const post = (view.posts as Post[])[0]!;
  expect(post).toMatchObject({ channel: 'bluesky', status: 'sent' });
  const records = await Promise.all(post.parts!.map((p) => pds.getRecord(p.remoteId!)));
  return { articleId: article.id, post, records };
}

describe('a thread on the reference PDS', () => {
  let thread: Awaited<ReturnType<typeof publishThread>>;
  beforeAll(async () => {
    thread = await publishThread('pds-thread-1');
  }, 90_000);

  it('is numbered parts within 300 graphemes, each a reply whose refs name the real root and parent records', () => {
    const { records } = thread;
    expect(records.length).toBeGreaterThan(1);
    records.forEach((r, i) => {
      expect(graphemes(r.value.text as string).length).toBeLessThanOrEqual(300);
      expect(r.value.text).toMatch(new RegExp(` ${i + 1}/${records.length}$`));
    });
    expect(records[0]!.value.reply).toBeUndefined();
    expect(records[0]!.value.embed).toMatchObject({ external: { uri: URL } });
    for (let i = 1; i < records.length; i++) {
      expect(records[i]!.value.reply).toEqual({
        root: { uri: records[0]!.uri, cid: records[0]!.cid },
        parent: { uri: records[i - 1]!.uri, cid: records[i - 1]!.cid },
      });
      expect(records[i]!.value.embed).toBeUndefined();
    }
  });

  it('takes a correction as a reply under its first post, accepted by the PDS', async () => {
    const note = 'The budget vote is on Thursday, not Wednesday.';
    const response = await herald.api(`/api/articles/${thread.articleId}/correct`, { body: { note, social: 'reply' } });
    expect(response.status).toBe(201);
    const reply = await eventually(async () => (await pds.listPosts()).find((r) => String(r.value.text).includes(note)), 30_000, 'the correction reply');
    expect(reply.value.text).toMatch(/^Correction: /);
    expect(reply.value.reply).toEqual({
      root: { uri: thread.records[0]!.uri, cid: thread.records[0]!.cid },
      parent: { uri: thread.records[0]!.uri, cid: thread.records[0]!.cid },
    });
  });
});

describe('retracting a thread on the reference PDS', () => {
  it('deletes every part: the PDS answers RecordNotFound for each', async () => {
    const { articleId, post } = await publishThread('pds-thread-2');
    const response = await herald.api(`/api/articles/${articleId}/retract`, { body: { reason: 'legal' } });
    expect(response.status).toBe(201);
    for (const part of post.parts!) {
      await eventually(async () => pds.getRecord(part.remoteId!).then(() => false, (error: { error?: string }) => error.error === 'RecordNotFound'),
        30_000, `part ${part.position} to be deleted`);
    }
  }, 120_000);
});
