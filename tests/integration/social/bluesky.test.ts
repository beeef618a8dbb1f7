// The Bluesky adapter through the real @atproto/api agent against the AT Protocol reference server (@atproto/pds 0.4):
// what it stored is read back from the PDS, which enforces the post lexicon and really deletes records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentFailure } from '../../../src/delivery/failure.js';
import { OutboundFetcher } from '../../../src/net/outbound-fetch.js';
import { BlueskyChannel, type BlueskySettings } from '../../../src/social/bluesky.js';
import type { SocialPost } from '../../../src/social/channel.js';
import { measure } from '../../../src/social/length.js';
import { startImageServer, type ImageServer } from '../../support/networks/image-server.js';
import { startReferencePds, type ReferencePds } from '../../support/networks/reference-pds.js';

let pds: ReferencePds;
let image: ImageServer;

// One PDS for the file: its start (loading the PDS, PLC, account) is the slow part, ~10-25 s on this machine.
beforeAll(async () => {
  [pds, image] = await Promise.all([startReferencePds(), startImageServer()]);
  console.info(`reference PDS ready in ${pds.startupMs} ms`);
}, 120_000);
afterAll(async () => {
  await pds?.close();
  await image?.close();
});

function channel(overrides: Partial<BlueskySettings> = {}): BlueskyChannel {
  return new BlueskyChannel({
    identifier: pds.handle,
    appPassword: pds.appPassword,
    service: pds.url,
    timeoutMs: 10_000,
    // The image is served on loopback, which only an explicit exception lets the guarded fetcher reach.
    fetcher: new OutboundFetcher({ allow: ['127.0.0.1'] }),
    ...overrides,
  });
}

let n = 0;
function post(extra: Partial<SocialPost> = {}): SocialPost {
  n += 1;
  return {
    text: `Harbour report ${n} https://news.example.org/harbour-${n}`,
    link: `https://news.example.org/harbour-${n}`,
    title: 'Harbour report',
    description: 'Ships, cargo, weather',
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the post should have failed'),
    (error: unknown) => error,
  );
}

/** The longest text(k) Herald's measure lets through, and text(k + 1), which it does not. */
function longestFitting(text: (k: number) => string): { fits: string; over: string } {
  let k = 0;
  while (measure('bluesky', text(k + 1)).fits) k++;
  expect(measure('bluesky', text(k)).fits).toBe(true);
  return { fits: text(k), over: text(k + 1) };
}

/** The text a facet's byte range covers in the record's own text. */
const covered = (text: string, facet: { index: { byteStart: number; byteEnd: number } }) =>
  Buffer.from(text, 'utf8').subarray(facet.index.byteStart, facet.index.byteEnd).toString('utf8');

describe('Bluesky adapter on the reference PDS', () => {
  it('posts Unicode text with a link facet on the URL\'s UTF-8 bytes and a card with an uploaded thumb', async () => {
    const link = 'https://news.example.org/climate-summit';
    const text = `🌍 気候サミット — قمة المناخ: what was agreed 👉 ${link} 🇺🇳`;
    const result = await channel({ langs: ['en', 'ja', 'ar'] }).post({
      text,
      link,
      title: 'Climate summit: what was agreed',
      description: 'Pledges, money and the gaps',
      image: { url: image.url, alt: 'Delegates in the plenary hall' },
    });

    // The PDS accepted it against the app.bsky.feed.post lexicon; read back what it holds.
    const { value } = await pds.getRecord(result.remoteId);
    expect(value).toMatchObject({ $type: 'app.bsky.feed.post', text, langs: ['en', 'ja', 'ar'] });
    expect(Date.parse(value.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    // Byte offsets, not string indexes (emoji, CJK and Arabic precede the link): the range cut from the stored text
    // is the link the facet points to.
    expect(value.facets).toHaveLength(1);
    expect(value.facets[0].features).toEqual([{ $type: 'app.bsky.richtext.facet#link', uri: link }]);
    expect(covered(value.text, value.facets[0])).toBe(link);

    expect(value.embed.$type).toBe('app.bsky.embed.external');
    expect(value.embed.external).toMatchObject({ uri: link, title: 'Climate summit: what was agreed', description: 'Pledges, money and the gaps' });
    // The thumb is a blob the PDS kept: the bytes it serves under that CID are the article's image.
    const served = Buffer.from(await (await fetch(image.url)).arrayBuffer());
    const { thumb } = value.embed.external;
    expect(thumb).toMatchObject({ mimeType: 'image/png', size: served.length });
    expect((await pds.getBlob(thumb.ref.toString())).equals(served)).toBe(true);
  });

  it('links to the post: the URL\'s handle resolves to the record\'s repo and its key names the record', async () => {
    const result = await channel().post(post());
    const [, handle = '', rkey] = /^https:\/\/bsky\.app\/profile\/([^/]+)\/post\/([^/]+)$/.exec(result.remoteUrl ?? '') ?? [];
    expect(await pds.resolveHandle(handle)).toBe(pds.did);
    const listed = await pds.listPosts();
    expect(listed.find((r) => r.uri.endsWith(`/${rkey}`))?.uri).toBe(result.remoteId);
  });

  it('agrees with the PDS where a text stops fitting: 300 graphemes, and 3000 UTF-8 bytes whatever the graphemes', async () => {
    const link = 'https://news.example.org/limits';
    // "é" as e + combining accent is one grapheme, two UTF-16 units and three bytes; a family emoji one grapheme and
    // 25 bytes (118 of them leave 50 bytes, so the byte cap comes before the grapheme one). Each pair: the longest
    // text Herald's measure lets through, and one unit more.
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
    const graphemeEdge = longestFitting((k) => `${'e\u0301'.repeat(k)} ${link}`);
    const byteEdge = longestFitting((k) => `${family.repeat(118)}${'a'.repeat(k)} ${link}`);
    for (const [edge, refusal] of [
      [graphemeEdge, /grapheme too big \(maximum 300, got 301\) at \$\.record\.text/],
      [byteEdge, /string too big \(maximum 3000, got 3001\) at \$\.record\.text/],
    ] as const) {
      const accepted = await channel().post(post({ text: edge.fits, link }));
      expect((await pds.getRecord(accepted.remoteId)).value.text).toBe(edge.fits);
      const failure = await failureOf(channel().post(post({ text: edge.over, link })));
      expect(failure).toBeInstanceOf(PermanentFailure);
      expect(failure).toMatchObject({ code: 'bluesky_400' });
      expect((failure as PermanentFailure).response).toMatch(refusal);
    }
    expect((await pds.listPosts()).filter((r) => [graphemeEdge.over, byteEdge.over].includes(r.value.text))).toEqual([]);
  });

  it('deletes the post on retraction: the PDS answers RecordNotFound, and deleting it again succeeds', async () => {
    const bsky = channel();
    const kept = await bsky.post(post());
    const { remoteId } = await bsky.post(post());
    expect((await pds.getRecord(remoteId)).uri).toBe(remoteId);

    await bsky.delete(remoteId);
    await expect(pds.getRecord(remoteId)).rejects.toMatchObject({ status: 400, error: 'RecordNotFound' });
    expect((await pds.listPosts()).map((r) => r.uri)).not.toContain(remoteId);
    // Only the named record went.
    expect((await pds.getRecord(kept.remoteId)).uri).toBe(kept.remoteId);
    await expect(bsky.delete(remoteId)).resolves.toBeUndefined();
  });

  it('turns a refused app password into PermanentFailure with the PDS\'s message, and posts nothing', async () => {
    const before = await pds.listPosts();
    const failure = await failureOf(channel({ appPassword: 'wrong-pass-word-here' }).post(post()));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'bluesky_401' });
    expect((failure as PermanentFailure).response).toMatch(/Invalid identifier or password/);
    expect((await pds.listPosts()).length).toBe(before.length);
  });

  it('verifies the account with the handle the PDS reports', async () => {
    await expect(channel().verify()).resolves.toBe(`@${pds.handle}`);
  });
});
