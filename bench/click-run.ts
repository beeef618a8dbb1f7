// The click burst right after a send, as a reader's mail client makes it: `herald serve` on PostgreSQL (its own
// process, counting on), autocannon on loopback cycling through many readers' tracked links, then the flush: every
// redirect answered must be in link_clicks exactly once (human + machine), no more, no less.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { signClickLink, signReaderSlot } from '../src/analytics/click-tokens.js';
import { migrate, openDatabase } from '../src/db/database.js';
import { createPostgresDatabase } from '../tests/support/database.js';
import { clearQueuePrefix, randomPrefix } from '../tests/support/herald.js';
import { spawnHerald, type HeraldProcess } from '../tests/support/processes.js';
import { cpuMs, heraldEnv, listeningAddress, rssMb } from './herald-runs.js';

export interface ClickOptions {
  /** Concurrent connections autocannon keeps busy. */
  connections: number;
  seconds: number;
  /** Distinct readers whose links are clicked (each reader's copy has its own tokens). */
  readers: number;
  /** NODE_OPTIONS for the Herald process (a profiler, say); none by default. */
  nodeOptions?: string;
}

export interface ClickFigures {
  connections: number;
  seconds: number;
  redirectsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** 302s autocannon counted. */
  redirects: number;
  /** Requests autocannon sent. */
  sent: number;
  /** Sent but not answered with a 302 (timeouts, errors, other codes): 0 when all went well. */
  otherAnswers: number;
  /**
   * human + machine in link_clicks after the flush. Exactly `redirects` when every request was answered; a request
   * the client gave up on may still have been redirected and counted, so then it lies between redirects and sent.
   */
  counted: number;
  human: number;
  machine: number;
  countsAddUp: boolean;
  peakRssMb: number;
  /**
   * CPU time the Herald process spent per 1,000 redirects during the burst (user + system, from /proc): what the
   * rate would be on an idle core is about 1000 / this per second, whatever else the machine was doing meanwhile.
   */
  cpuMsPerThousand: number;
}

const DISPATCH_ID = 1;
/** The bench's HERALD_SECRET (heraldEnv): the same key signs the links here and checks them in Herald. */
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const TARGETS = ['https://news.example.org/budget', 'https://news.example.org/related', 'https://other.example/report?a=1&b=2'];
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Every reader's links as in their message: the edition's link parts with that reader's slot, sent an hour ago. */
function trackedPaths(readers: number): string[] {
  const sentAt = new Date(Date.now() - 3600_000);
  const links = TARGETS.map((target, i) => signClickLink(SECRET, DISPATCH_ID, i + 1, target));
  const paths: string[] = [];
  for (let reader = 1; reader <= readers; reader++) {
    const slot = signReaderSlot(SECRET, DISPATCH_ID, reader, sentAt);
    for (const link of links) paths.push(`/l/${link}.${slot}`);
  }
  return paths;
}

async function countedClicks(db: Awaited<ReturnType<typeof openDatabase>>['db']): Promise<{ human: number; machine: number }> {
  const row = await sql<{ human: string | null; machine: string | null }>`
    select sum(human) as human, sum(machine) as machine from link_clicks where dispatch_id = ${DISPATCH_ID}
  `.execute(db);
  return { human: Number(row.rows[0]?.human ?? 0), machine: Number(row.rows[0]?.machine ?? 0) };
}

export async function clickRun(options: ClickOptions): Promise<ClickFigures> {
  const pg = await createPostgresDatabase();
  const { db } = await openDatabase({ url: pg.url, poolSize: 2 });
  const prefix = randomPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-clicks-'));
  const flushMs = 5000;
  let serve: HeraldProcess | undefined;
  try {
    await migrate(db);
    const env = heraldEnv({ smtpPort: 9, poolSize: 1, nodeOptions: options.nodeOptions }, prefix, dataDir);
    // At info (listeningAddress reads http.listening): the redirect logs nothing per click above debug.
    serve = spawnHerald(['serve'], { ...env, DATABASE_URL: pg.url, PORT: '0', LOG_LEVEL: 'info', HERALD_CLICK_FLUSH_MS: String(flushMs) }, { compiled: true });
    const address = await listeningAddress(serve);
    while ((await fetch(`${address}/healthz`)).status === 503) await new Promise((r) => setTimeout(r, 100));
    const pid = serve.child.pid!;
    let peakRssMb = rssMb(pid);
    const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, rssMb(pid))), 100);
    const paths = trackedPaths(options.readers);
    // A short warm-up (JIT, connection pools), counted like the rest: every answered click must arrive.
    const warm = await autocannon({ url: address, connections: 10, amount: 500, requests: paths.slice(0, 50).map((path) => ({ path })) });
    let result: autocannon.Result;
    const cpuBefore = cpuMs(pid);
    let cpuSpent = 0;
    try {
      result = await autocannon({
        url: address,
        connections: options.connections,
        duration: options.seconds,
        headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15' },
        requests: paths.map((path) => ({ path })),
      });
      cpuSpent = cpuMs(pid) - cpuBefore;
    } finally {
      clearInterval(sampler);
    }
    const redirectsOf = (r: autocannon.Result) => (r.statusCodeStats as Record<string, { count: number } | undefined>)['302']?.count ?? 0;
    const redirects = redirectsOf(warm) + redirectsOf(result);
    const sent = warm.requests.sent + result.requests.sent;
    const otherAnswers = sent - redirects;
    // Wait for the flush to bring every count in, then one more flush: a count that came out high would show there.
    const deadline = Date.now() + 60_000;
    let counted = await countedClicks(db);
    while (counted.human + counted.machine < redirects && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      counted = await countedClicks(db);
    }
    await new Promise((r) => setTimeout(r, flushMs + 1000));
    counted = await countedClicks(db);
    const total = counted.human + counted.machine;
    log(`  ${redirects} redirects, ${total} counted (${counted.human} human, ${counted.machine} machine)`);
    return {
      connections: options.connections,
      seconds: options.seconds,
      redirectsPerSecond: Math.round(redirectsOf(result) / (result.duration || options.seconds)),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      redirects,
      sent,
      otherAnswers,
      counted: total,
      human: counted.human,
      machine: counted.machine,
      countsAddUp: otherAnswers === 0 ? total === redirects : total >= redirects && total <= sent,
      peakRssMb: Math.round(peakRssMb),
      cpuMsPerThousand: Math.round((cpuSpent / Math.max(1, result.requests.sent)) * 1000),
    };
  } finally {
    await serve?.kill('SIGTERM');
    await db.destroy();
    await pg.drop();
    await clearQueuePrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
