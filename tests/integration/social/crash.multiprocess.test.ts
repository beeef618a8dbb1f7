// A `herald worker` killed (SIGKILL) mid-post: a second worker settles the post without ever publishing it twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../src/db/database.js';
import { idempotencyKeyFor } from '../../../src/social/social-poster.js';
import { articlePayload } from '../../support/articles.js';
import { createPostgresDatabase, type TestDatabase } from '../../support/database.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import type { RecordedRequest } from '../../support/networks/stand-in.js';
import { FacebookStandIn } from '../../support/networks/facebook-server.js';
import { MastodonStandIn } from '../../support/networks/mastodon-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A response nobody reads: the stand-in handles the post (it is published) while the real socket never gets an answer. */
const unanswered = { writeHead: () => unanswered, end: () => unanswered } as unknown as ServerResponse;

/** The worst moment for a crash: the post is published, and the worker is still waiting for the answer. */
class PublishThenHangFacebook extends FacebookStandIn {
  hangNextPost = true;
  protected override handle(req: RecordedRequest, res: ServerResponse): void {
    if (!(this.hangNextPost && req.method === 'POST')) return super.handle(req, res);
    this.hangNextPost = false;
    super.handle(req, unanswered);
  }
}

class PublishThenHangMastodon extends MastodonStandIn {
  hangNextPost = true;
  protected override handle(req: RecordedRequest, res: ServerResponse): void {
    if (!(this.hangNextPost && req.method === 'POST')) return super.handle(req, res);
    this.hangNextPost = false;
    super.handle(req, unanswered);
  }
}

let database: TestDatabase;
let herald: TestHerald;
let facebook: PublishThenHangFacebook;
let mastodon: PublishThenHangMastodon;
const workers: { child: ChildProcess; output: string[]; dataDir: string }[] = [];

function startWorker(): { child: ChildProcess; output: string[] } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-worker-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'worker'], {
    cwd: repoRoot,
    env: { ...process.env, ...herald.env, HERALD_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  workers.push({ child, output, dataDir });
  return { child, output };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

beforeAll(async () => {
  facebook = await new PublishThenHangFacebook({ pageId: '104729', pageAccessToken: 'facebook-page-token' }).start();
  mastodon = await new PublishThenHangMastodon({ accessToken: 'mastodon-access-token' }).start();
  // PGlite lives inside one process: several processes share PostgreSQL.
  const postgres = await createPostgresDatabase();
  const handle = await openDatabase({ url: postgres.url, poolSize: 3 });
  await migrate(handle.db);
  database = { ...handle, url: postgres.url, drop: async () => { await handle.db.destroy(); await postgres.drop(); } };
  // This process serves the API and relays dispatches; only the child processes work the queues.
  herald = await startTestHerald({
    database,
    workers: false,
    env: {
      HERALD_JOB_LOCK_MS: '2000',
      FACEBOOK_PAGE_ID: '104729',
      FACEBOOK_PAGE_TOKEN: 'facebook-page-token',
      FACEBOOK_GRAPH_URL: facebook.url,
      MASTODON_URL: mastodon.url,
      MASTODON_TOKEN: 'mastodon-access-token',
      SOCIAL_TIMEOUT_MS: '30000',
    },
  });
});

afterAll(async () => {
  for (const { child, dataDir } of workers) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited(child), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  await herald?.stop();
  await database?.drop();
  await facebook?.close();
  await mastodon?.close();
});

describe('a worker killed mid-post', () => {
  it('leaves Facebook uncertain and re-posts Mastodon under the same key: one post each, and the dispatch settles', async () => {
    const first = startWorker();
    const response = await herald.api('/api/articles', { body: articlePayload({ channels: ['facebook', 'mastodon'] }) });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();

    // Both posts are published and both requests are still open: the worker is mid-post on each.
    await eventually(async () => facebook.posts.length === 1 && mastodon.statuses.length === 1, 30_000, 'both posts to land');
    const inFlight = await herald.ctx.db.selectFrom('deliveries').select(['channel', 'status']).where('dispatchId', '=', dispatch.id).orderBy('channel').execute();
    expect(inFlight).toEqual([{ channel: 'facebook', status: 'sending' }, { channel: 'mastodon', status: 'sending' }]);
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = startWorker();
    const view = await eventually(async () => {
      const current = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return current.status === 'completed_with_failures' && current;
    }, 40_000, `dispatch ${dispatch.id} to settle (second worker output: ${second.output.join('')})`);

    const fb = view.posts.find((p: any) => p.channel === 'facebook');
    expect(fb).toMatchObject({ status: 'uncertain', remoteId: null, attempts: 1 });
    expect(fb.lastResponse).toMatch(/^interrupted mid-post: .*may have been published/);
    expect(facebook.posts).toHaveLength(1);
    expect(facebook.requestsTo('/v23.0/')).toHaveLength(1);

    const m = view.posts.find((p: any) => p.channel === 'mastodon');
    expect(m).toMatchObject({ status: 'sent', remoteId: mastodon.statuses[0]!.id, attempts: 2 });
    expect(mastodon.statuses).toHaveLength(1);
    const keys = mastodon.requestsTo('/api/v1/statuses').map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([idempotencyKeyFor(m.id), idempotencyKeyFor(m.id)]);

    const events = await herald.ctx.db.selectFrom('events').select(['subjectId', 'fromStatus', 'toStatus', 'cause'])
      .where('subjectType', '=', 'delivery').where('cause', '=', 'crash-recovery').orderBy('id').execute();
    // The two jobs are taken over in either order.
    expect(events).toHaveLength(2);
    expect(events).toEqual(expect.arrayContaining([
      { subjectId: String(fb.id), fromStatus: 'sending', toStatus: 'uncertain', cause: 'crash-recovery' },
      { subjectId: String(m.id), fromStatus: 'sending', toStatus: 'pending', cause: 'crash-recovery' },
    ]));
  }, 120_000);
});
