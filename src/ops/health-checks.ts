// Readiness: does each dependency answer? Answers only ok/failing per dependency; the reason goes to the log, never
// to an unauthenticated caller (an error text can name hosts, users or versions).
import { sql } from 'kysely';
import type { HeraldContext } from '../context.js';

export type CheckState = 'ok' | 'failing';

export interface Readiness {
  ready: boolean;
  checks: Record<'database' | 'redis', CheckState>;
}

const CHECK_TIMEOUT_MS = 2000;

async function probe(name: string, run: () => Promise<unknown>, ctx: Pick<HeraldContext, 'log'>): Promise<CheckState> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (error) {
    ctx.log.warn({ event: 'health.check_failed', dependency: name, err: error }, `${name} is not answering`);
    return 'failing';
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(ctx: Pick<HeraldContext, 'db' | 'redis' | 'log'>): Promise<Readiness> {
  const [database, redis] = await Promise.all([
    probe('database', () => sql`select 1`.execute(ctx.db), ctx),
    probe('redis', () => ctx.redis.ping(), ctx),
  ]);
  return { ready: database === 'ok' && redis === 'ok', checks: { database, redis } };
}
