// Attacks on what Herald fetches, against a running Herald: an article's image URL pointing at an internal service,
// a redirect from an allowed host into the internal network, a gzip bomb, a non-image, and a feed that redirects
// inward. The internal service is a loopback server of this test's own; only 127.0.0.2 is allowed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { BlueskyStandIn } from '../../support/networks/bluesky-server.js';
import { TINY_PNG } from '../../support/networks/stand-in.js';

const account = { handle: 'herald.test', did: 'did:plc:heraldsecurity01', appPassword: 'abcd-efgh-ijkl-mnop' };
const INTERNAL_SECRET = Buffer.concat([TINY_PNG, Buffer.from('internal-credentials')]); // an image, to pass any sniffing

interface Target {
  server: Server;
  origin: string;
  hits: string[];
  /** Whether the client hung up on the endless gzip stream. */
  bombAbandoned: boolean;
}

async function listen(host: string, handle: (req: IncomingMessage, res: ServerResponse, target: Target) => void): Promise<Target> {
  const target = { hits: [] as string[], bombAbandoned: false } as Target;
  target.server = createServer((req, res) => {
    target.hits.push(req.url ?? '');
    handle(req, res, target);
  });
  await new Promise<void>((resolve) => target.server.listen(0, host, resolve));
  target.origin = `http://${host}:${(target.server.address() as AddressInfo).port}`;
  return target;
}

let internal: Target;
let allowed: Target;
let bluesky: BlueskyStandIn;
let herald: TestHerald;

beforeAll(async () => {
  // The newsroom's internal service (127.0.0.1): never to be reached through content.
  internal = await listen('127.0.0.1', (req, res) => {
    if (req.url === '/secret.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(INTERNAL_SECRET);
    if (req.url === '/feed-redirect') return res.writeHead(302, { location: `${internal.origin}/evil.xml` }).end();
    if (req.url === '/evil.xml') {
      return res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss version="2.0"><channel><title>x</title></channel></rss>');
    }
    res.writeHead(404).end();
  });
  // A host the operator allowed (HERALD_FETCH_ALLOW_HOSTS=127.0.0.2), standing in for a public one.
  allowed = await listen('127.0.0.2', (req, res, target) => {
    if (req.url === '/cover.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(TINY_PNG);
    if (req.url === '/redirect.png') return res.writeHead(302, { location: `${internal.origin}/secret.png` }).end();
    if (req.url === '/page.png') return res.writeHead(200, { 'content-type': 'image/png' }).end('<html>admin console</html>');
    if (req.url === '/bomb.png') {
      // Zeros without end, gzipped: a few KB on the wire for every MB decoded.
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      const zeros = Buffer.alloc(1024 * 1024);
      const pump = () => {
        while (!res.destroyed && gzip.write(zeros));
        if (!res.destroyed) gzip.once('drain', pump);
      };
      res.on('close', () => {
        target.bombAbandoned = true;
        gzip.destroy();
      });
      return pump();
    }
    res.writeHead(404).end();
  });
  bluesky = await new BlueskyStandIn(account).start();
  herald = await startTestHerald({
    env: {
      BLUESKY_SERVICE: bluesky.url,
      BLUESKY_HANDLE: account.handle,
      BLUESKY_APP_PASSWORD: account.appPassword,
      SOCIAL_TIMEOUT_MS: '20000',
      HERALD_FETCH_ALLOW_HOSTS: '127.0.0.2',
      // The configured feed is trusted as typed (even on loopback); where it redirects is not.
      HERALD_FEEDS: `${internal.origin}/feed-redirect`,
    },
  });
});
afterAll(async () => {
  await herald?.stop();
  await bluesky?.close();
  for (const target of [internal, allowed]) {
    target?.server.closeAllConnections();
    await new Promise((resolve) => target?.server.close(resolve));
  }
});

/** Publishes to Bluesky with this image and waits for the post; answers the delivery and the record posted. */
async function postWithImage(url: string) {
  const response = await herald.api('/api/articles', { body: { ...articlePayload({ image: { url, alt: 'picture' } }), channels: ['bluesky'] } });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  const view = await eventually(async () => {
    const body = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    return body.status === 'completed' && body;
  }, 40_000, 'the post');
  const delivery = view.posts.find((p: { channel: string }) => p.channel === 'bluesky');
  const record = bluesky.records.find((r) => r.uri === delivery.remoteId)!;
  return { delivery, thumb: (record.record as { embed?: { external?: { thumb?: unknown } } }).embed?.external?.thumb };
}

describe('article images', () => {
  it('are fetched from an allowed host and uploaded', async () => {
    const { delivery, thumb } = await postWithImage(`${allowed.origin}/cover.png`);
    expect(delivery.status).toBe('sent');
    expect(thumb).toMatchObject({ mimeType: 'image/png', size: TINY_PNG.length });
  });

  it('never reach an internal address: the post goes out without the picture, and says why', async () => {
    const { delivery, thumb } = await postWithImage(`${internal.origin}/secret.png`);
    expect(delivery.status).toBe('sent');
    expect(thumb).toBeUndefined();
    expect(delivery.lastResponse).toMatch(/posted without the image: .*127\.0\.0\.1.*loopback/);
    expect(internal.hits).not.toContain('/secret.png');
    expect([...bluesky.blobs.values()].some((b) => b.bytes.includes(Buffer.from('internal-credentials')))).toBe(false);
  });

  it('never follow a redirect from an allowed host into the internal network', async () => {
    const { delivery, thumb } = await postWithImage(`${allowed.origin}/redirect.png`);
    expect(delivery.status).toBe('sent');
    expect(thumb).toBeUndefined();
    expect(delivery.lastResponse).toMatch(/loopback/);
    expect(allowed.hits).toContain('/redirect.png');
    expect(internal.hits).not.toContain('/secret.png');
  });

  it('must be images by their bytes, whatever the Content-Type says', async () => {
    const { delivery, thumb } = await postWithImage(`${allowed.origin}/page.png`);
    expect(delivery.status).toBe('sent');
    expect(thumb).toBeUndefined();
    expect(delivery.lastResponse).toMatch(/not an image/);
  });

  it('stop downloading a gzip bomb at the network’s limit of decoded bytes', async () => {
    const { delivery, thumb } = await postWithImage(`${allowed.origin}/bomb.png`);
    expect(delivery.status).toBe('sent');
    expect(thumb).toBeUndefined();
    // Aborted at Bluesky's 1 MB thumb limit, not left to run into the request timeout.
    expect(delivery.lastResponse).toMatch(/over the 1000000 byte limit once decoded/);
    expect(allowed.bombAbandoned).toBe(true);
  });
});

describe('feeds', () => {
  it('are not followed when they redirect into the internal network', async () => {
    const feed = await eventually(async () => {
      const row = await herald.ctx.db.selectFrom('feeds').selectAll().where('url', '=', `${internal.origin}/feed-redirect`).executeTakeFirst();
      return row?.lastError ? row : undefined;
    }, 30_000, 'the feed polled');
    expect(feed.lastError).toMatch(/127\.0\.0\.1 .*loopback/);
    expect(feed.firstPolledAt).toBeNull();
    expect(internal.hits).toContain('/feed-redirect');
    expect(internal.hits).not.toContain('/evil.xml');
  });
});
