// A request to a server that takes the connection and never answers must end at its deadline even when the process
// collects garbage meanwhile (workers force full collections: src/runtime/heap-budget.ts). On Node 20 a deadline
// built with AbortSignal.any around AbortSignal.timeout is lost to such a collection and the request hangs forever.
import { createServer, type Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../../src/net/deadline-signal.js';
import { BlueskyChannel } from '../../../src/social/bluesky.js';
import { MastodonChannel } from '../../../src/social/mastodon.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let silent: Server;
let url: string;

beforeAll(async () => {
  silent = createServer(() => {}); // reads the request, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});

afterAll(async () => {
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
});

/** Runs `request` with a full collection every 20 ms; what it settled with, or 'still waiting' after `limitMs`. */
async function underCollections(request: () => Promise<unknown>, limitMs: number): Promise<string> {
  const collecting = setInterval(gc, 20);
  try {
    const outcome = request().then(
      () => 'answered',
      (error: Error) => error.name,
    );
    return await Promise.race([outcome, new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), limitMs))]);
  } finally {
    clearInterval(collecting);
  }
}

describe('a request deadline under garbage collection', () => {
  it('ends a fetch to a silent server with a TimeoutError', async () => {
    expect(await underCollections(() => fetch(url, { signal: deadlineSignal(300) }), 3000)).toBe('TimeoutError');
  });

  it('ends it too when the caller aborts first, with the caller\'s reason', async () => {
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('editor cancelled')), 100);
    const outcome = await fetch(url, { signal: deadlineSignal(60_000, caller.signal) }).catch((error: Error) => error.message);
    expect(outcome).toBe('editor cancelled');
  });

  it('ends a Mastodon call to a silent instance instead of waiting forever', async () => {
    const channel = new MastodonChannel({ url, accessToken: 'token', timeoutMs: 300 });
    expect(await underCollections(() => channel.verify(), 3000)).not.toBe('still waiting');
  });

  it('ends a Bluesky login at a silent PDS instead of waiting forever', async () => {
    const channel = new BlueskyChannel({ identifier: 'herald.test', appPassword: 'aaaa-bbbb-cccc-dddd', service: url, timeoutMs: 300 });
    expect(await underCollections(() => channel.verify(), 3000)).not.toBe('still waiting');
  });
});
