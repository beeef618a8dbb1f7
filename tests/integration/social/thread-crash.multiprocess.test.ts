// A `herald worker` killed (SIGKILL) mid-thread: a second worker resumes at the first part not posted, and the
// thread ends up whole on the network, no part twice, none missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../src/db/database.js';
import { mastodonLength } from '../../../src/social/length.js';
import { articlePayload } from '../../support/articles.js';
import { createPostgresDatabase, type TestDatabase } from '../../support/database.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { jsonBody, type RecordedRequest } from '../../support/networks/stand-in.js';
import { MastodonStandIn } from '../../support/networks/mastodon-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A response nobody reads: the status is published while the worker never hears back. */
const unanswered = { writeHead: () => unanswered, end: () => unanswered } as unknown as ServerResponse;

/** The worst moment: part 2 (the first reply) is published, and the worker is still waiting for its id. */
class PublishReplyThenHang extends MastodonStandIn {
  hangNextReply = true;
  protected override handle(req: RecordedRequest, res: ServerResponse): void {
    const isReply = req.method === 'POST' && req.path === '/api/v1/statuses' && jsonBody(req)?.in_reply_to_id;
    if (!(this.hangNextReply && isReply)) return super.handle(req, res);
    this.hangNextReply = false;
    super.handle(req, unanswered);
  }
}

let database: TestDatabase;
let herald: TestHerald;
let mastodon: PublishReplyThenHang;
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
  mastodon = await new PublishReplyThenHang({ accessToken: 'mastodon-access-token' }).start();
  // PGlite lives inside one process: several processes share PostgreSQL.
  const postgres = await createPostgresDatabase();
  const handle = await openDatabase({ url: postgres.url, poolSize: 3 });
  await migrate(handle.db);
  database = { ...handle, url: postgres.url, drop: async () => { await handle.db.destroy(); await postgres.drop(); } };
  herald = await startTestHerald({
    database,
    workers: false,
    env: { HERALD_JOB_LOCK_MS: '2000', MASTODON_URL: mastodon.url, MASTODON_TOKEN: 'mastodon-access-token', SOCIAL_TIMEOUT_MS: '30000' },
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
  await mastodon?.close();
});

describe('a worker killed mid-thread', () => {
  it('is resumed by another worker at the part in flight: every part once, chained, none missing', async () => {
    const first = startWorker();
    const url = 'https://news.example.org/threads/crash';
    const text = `The whole story: ${url}. ` + Array.from({ length: 18 }, (_, i) => `Finding ${i + 1} is set out here in a sentence of its own.`).join(' ');
    const response = await herald.api('/api/articles', { body: articlePayload({ url, channels: ['mastodon'], socialTexts: { mastodon: text } }) });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();

    // Part 1 is posted and recorded; part 2 is published and its request still open: the worker is mid-thread.
    await eventually(async () => mastodon.statuses.length === 2, 30_000, 'part 2 to land');
    const delivery = await herald.ctx.db.selectFrom('deliveries').select(['id', 'status']).where('dispatchId', '=', dispatch.id).executeTakeFirstOrThrow();
    const inFlight = await herald.ctx.db.selectFrom('socialPostParts').select(['position', 'state', 'remoteId'])
      .where('deliveryId', '=', delivery.id).orderBy('position').execute();
    expect(delivery.status).toBe('sending');
    expect(inFlight.length).toBeGreaterThanOrEqual(3);
    expect(inFlight.slice(0, 2)).toEqual([
      { position: 1, state: 'posted', remoteId: mastodon.statuses[0]!.id },
      { position: 2, state: 'sending', remoteId: null },
    ]);
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = startWorker();
    const view = await eventually(async () => {
      const current = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return current.status === 'completed' && current;
    }, 40_000, `dispatch ${dispatch.id} to complete (second worker output: ${second.output.join('')})`);

    const post = view.posts[0];
    expect(post).toMatchObject({ status: 'sent', remoteId: mastodon.statuses[0]!.id, attempts: 2 });
    // On the network: exactly the planned parts, once each, in order, each a reply to the one before.
    const statuses = mastodon.statuses;
    expect(statuses.map((s) => s.text)).toEqual(post.parts.map((p: { text: string }) => p.text));
    expect(statuses.map((s) => s.text).every((t, i) => t.endsWith(` ${i + 1}/${statuses.length}`))).toBe(true);
    for (const s of statuses) expect(mastodonLength(s.text)).toBeLessThanOrEqual(500);
    statuses.slice(1).forEach((s, i) => expect(s.inReplyToId).toBe(statuses[i]!.id));
    expect(post.parts.map((p: { state: string; remoteId: string }) => [p.state, p.remoteId])).toEqual(statuses.map((s) => ['posted', s.id]));
    // Part 2 was sent again under its own key (the instance answered with the first status); no other part twice.
    const keys = mastodon.requestsTo('/api/v1/statuses').map((r) => String(r.headers['idempotency-key']).replace(/^.*-part-/, 'part '));
    expect(keys).toEqual(['part 1', 'part 2', 'part 2', ...statuses.slice(2).map((_, i) => `part ${i + 3}`)]);

    const recovery = await herald.ctx.db.selectFrom('events').select(['fromStatus', 'toStatus'])
      .where('subjectType', '=', 'delivery').where('subjectId', '=', String(delivery.id)).where('cause', '=', 'crash-recovery').execute();
    expect(recovery).toEqual([{ fromStatus: 'sending', toStatus: 'pending' }]);
  }, 120_000);
});
