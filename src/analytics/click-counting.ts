// Builds the click and open counting of one process: the recorders the redirect and the pixel hand their requests
// to, and the flush to the database.
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Database } from '../db/schema.js';
import { ClickFlush } from './click-flush.js';
import { clickKeys } from './click-keys.js';
import { ClickRecorder } from './click-recorder.js';
import { OpenRecorder } from './open-recorder.js';

export interface ClickCounting {
  recorder: ClickRecorder;
  opens: OpenRecorder;
  flush: ClickFlush;
}

export function createClickCounting(deps: {
  db: Kysely<Database>;
  redis: Redis;
  redisPrefix: string;
  config: Pick<Config, 'HERALD_CLICK_ATTRIBUTION' | 'HERALD_CLICK_FLUSH_MS'>;
  log: Logger;
}): ClickCounting {
  const keys = clickKeys(deps.redisPrefix);
  const log = deps.log.child({ component: 'clicks' });
  const attribution = deps.config.HERALD_CLICK_ATTRIBUTION === 'on';
  const recorder = new ClickRecorder(deps.redis, keys, { attribution }, log);
  const opens = new OpenRecorder(deps.redis, keys, { attribution }, deps.log.child({ component: 'opens' }));
  const flush = new ClickFlush(deps.db, deps.redis, keys, [recorder, opens], {
    intervalMs: deps.config.HERALD_CLICK_FLUSH_MS,
    onError: (error) => log.warn({ event: 'clicks.flush_failed', err: error }, 'click counts not flushed; the next pass tries again'),
  });
  return { recorder, opens, flush };
}
