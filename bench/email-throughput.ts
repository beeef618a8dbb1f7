// npm run bench: Herald's email throughput and memory, end to end, next to what it is measured against — all in one
// run on one sink, so the ratios compare like with like on a noisy machine. Prints a table of figures; the last line
// is one JSON object with every figure. `--dkim` signs every message (RSA-2048) everywhere; `--latency-ms N` puts a
// relay N ms away each way (a delaying proxy) between every sender and the sink. The click section bursts Herald's
// redirect endpoint with autocannon and checks the counts after the flush; `--only clicks` runs just that.
// `--only scale --readers N` runs just a breaking edition to N readers (bench/scale-run.ts); `--only worker` and
// `--only embedded` run just that Herald run, for trying a change to one of them without the rest.
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { articleInput } from '../src/articles/article-input.js';
import { renderEdition } from '../src/email/edition-renderer.js';
import { fixturePayload } from '../tests/support/articles.js';
import { naivePooledLoop, precomposedCeiling, smtpSource, type DkimKey, type LoopOptions } from './baselines.js';
import { clickRun, type ClickFigures } from './click-run.js';
import { csvImportRun, type CsvFigures } from './csv-import-run.js';
import { embedded, npmStartEnv, workerOnPostgres, type RunFigures } from './herald-runs.js';
import { printScale, scaleRun } from './scale-run.js';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js';
import { startSink } from './sinks.js';

const { values } = parseArgs({
  options: {
    readers: { type: 'string', default: '50000' },
    /** Messages for each nodemailer baseline (their rate is steady after a few thousand). */
    'baseline-sample': { type: 'string', default: '10000' },
    /** SMTP connections, the same for Herald, the baselines and smtp-source. */
    'pool-size': { type: 'string', default: '8' },
    /** Messages the naive loop keeps awaiting at once: what a pooled loop written by hand typically uses. */
    'in-flight': { type: 'string', default: '50' },
    dkim: { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '0' },
    /** Measure against the Node sink even when Postfix's smtp-sink is installed. */
    'node-sink': { type: 'boolean', default: false },
    'skip-embedded': { type: 'boolean', default: false },
    /** Rows in the CSV import measurement (0: skip it). */
    'csv-rows': { type: 'string', default: '100000' },
    /** NODE_OPTIONS for Herald's processes (none by default). */
    'node-options': { type: 'string', default: '' },
    /**
     * `clicks`, `csv`, `worker` or `embedded`: only that section (no baselines, so no ratios); `scale`: only a
     * breaking edition to --readers (bench/scale-run.ts).
     */
    only: { type: 'string', default: '' },
    /** The scale run: `sent` waits for every message, `fanout` stops once the fan-out ends; and its time limit. */
    'scale-until': { type: 'string', default: 'sent' },
    'scale-timeout': { type: 'string', default: '600' },
    /** The click burst: autocannon's concurrent connections, its length, and how many readers' links it cycles through. */
    'click-connections': { type: 'string', default: '50' },
    'click-seconds': { type: 'string', default: '10' },
    'click-readers': { type: 'string', default: '2000' },
  },
});
const SECTIONS = ['clicks', 'csv', 'scale', 'worker', 'embedded'];
if (values.only && !SECTIONS.includes(values.only)) throw new Error(`--only takes ${SECTIONS.join(', ')}, not ${values.only}`);
if (!['sent', 'fanout'].includes(values['scale-until'])) throw new Error(`--scale-until takes sent or fanout`);
const READERS = Number(values.readers);
const SAMPLE = Math.min(READERS, Number(values['baseline-sample']));
const POOL = Number(values['pool-size']);
const LATENCY_MS = Number(values['latency-ms']);
const log = (line: string) => process.stderr.write(`${line}\n`);

function dkimKey(): DkimKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { domainName: 'herald.example', keySelector: 'bench', privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}

const loadAverage = async () => (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2)));

/** The end of a run of one section: its load average, then the one JSON line with every figure. */
async function printEnd(figures: Record<string, unknown>): Promise<void> {
  const load = await loadAverage();
  console.log(`load average ${load.join(' ')}`);
  console.log(JSON.stringify({ ...figures, loadAverage: load }));
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);

async function clicks(): Promise<ClickFigures> {
  const options = { connections: Number(values['click-connections']), seconds: Number(values['click-seconds']), readers: Number(values['click-readers']), nodeOptions: values['node-options'] || undefined };
  log(`click redirects: herald serve on PostgreSQL, autocannon ${options.connections} connections for ${options.seconds} s over ${options.readers} readers' links…`);
  return clickRun(options);
}

function printClicks(c: ClickFigures): void {
  console.log(`${'click redirects (herald serve, counting on)'.padEnd(44)} ${String(c.redirectsPerSecond).padStart(8)} redirects/s  ` +
    `p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, max ${c.maxMs} ms, ${c.connections} connections, ` +
    `Herald's CPU ${c.cpuMsPerThousand} ms per 1,000 (≈ ${Math.round(1e6 / Math.max(1, c.cpuMsPerThousand))}/s on an idle core), peak RSS ${c.peakRssMb} MB`);
  console.log(`${'click counts after the flush'.padEnd(44)} ${c.countsAddUp ? 'add up' : 'DO NOT ADD UP'}: ${c.redirects} redirects answered, ` +
    `${c.counted} counted (${c.human} human, ${c.machine} machine)` +
    (c.otherAnswers ? `; ${c.otherAnswers} of ${c.sent} sent not answered in time (may have been counted)` : ''));
}

async function scaleOnly(): Promise<void> {
  const sink = await startSink({ preferPostfix: !values['node-sink'] });
  try {
    log(`sink: ${sink.name}; breaking edition to ${READERS} readers; ${POOL} SMTP connections; until ${values['scale-until']}…`);
    const scale = await scaleRun({
      sink, smtpPort: sink.port, readers: READERS, poolSize: POOL, article: fixturePayload('seed-article'),
      nodeOptions: values['node-options'] || undefined,
      until: values['scale-until'] as 'sent' | 'fanout', timeoutSeconds: Number(values['scale-timeout']),
    });
    printScale(scale);
    await printEnd({ sink: sink.name, scale });
  } finally {
    await sink.stop();
  }
}

const WORKER_RUN = 'herald worker on PostgreSQL';
/** Named with the environment `npm start` gives it, which the run copies. */
const EMBEDDED_RUN = ['herald serve, embedded PGlite', ...Object.entries(npmStartEnv()).map(([k, v]) => `${k}=${v}`)].join(' ');
const row = (name: string, perSecond: number | null | undefined, extra = '') =>
  console.log(`${name.padEnd(44)} ${perSecond == null ? '—'.padStart(8) : String(Math.round(perSecond)).padStart(8)} msg/s  ${extra}`);
const runExtra = (r: RunFigures) => `first message ${r.firstMessageMs} ms, peak RSS ${r.peakRssMb} MB, Redis +${r.redisGrowthMb} MB, CPU ${r.cpuMsPerMessage} ms/msg (main thread ${r.mainThreadCpuMsPerMessage})`;

function printCsv(c: CsvFigures): void {
  console.log(`${'CSV import, streamed'.padEnd(44)} ${String(c.rowsPerSecond).padStart(8)} rows/s ${c.rows} rows, server peak RSS ${c.peakRssMb} MB`);
}

async function main() {
  if (values.only === 'clicks') {
    const figures = await clicks();
    printClicks(figures);
    return printEnd({ clicks: figures });
  }
  if (values.only === 'scale') return scaleOnly();
  if (values.only === 'csv') {
    const figures = await csvImportRun(Number(values['csv-rows']), values['node-options'] || undefined);
    printCsv(figures);
    return printEnd({ csvImport: figures });
  }
  const sink = await startSink({ preferPostfix: !values['node-sink'] });
  let proxy: LatencyProxy | undefined;
  try {
    if (LATENCY_MS > 0) proxy = await startLatencyProxy(sink.port, LATENCY_MS);
    const smtpPort = proxy?.port ?? sink.port;
    const dkim = values.dkim ? dkimKey() : undefined;
    const article = fixturePayload('seed-article');
    log(`sink: ${sink.name}; ${READERS} readers; ${POOL} SMTP connections; DKIM ${dkim ? 'on' : 'off'}; latency ${LATENCY_MS} ms each way`);

    const runOptions = { sink, smtpPort, readers: READERS, poolSize: POOL, article, dkim, nodeOptions: values['node-options'] || undefined };
    if (values.only === 'worker' || values.only === 'embedded') {
      const name = values.only === 'worker' ? WORKER_RUN : EMBEDDED_RUN;
      log(`${name}, ${READERS} readers…`);
      const run = await (values.only === 'worker' ? workerOnPostgres : embedded)(runOptions);
      row(name, run.emailsPerSecond, runExtra(run));
      return printEnd({ sink: sink.name, readers: READERS, poolSize: POOL, dkim: !!dkim, latencyMs: LATENCY_MS, [values.only]: run });
    }
    // The baselines send the same edition, rendered here once as Herald renders it.
    const edition = await renderEdition(articleInput.parse(article) as never, {
      listName: 'Herald', postalAddress: 'Herald, 1 Example Street', viewInBrowserUrl: 'https://herald.example/editions/1',
    });
    const messageBytes = Buffer.byteLength(edition.html) + Buffer.byteLength(edition.text);
    const loop: LoopOptions = { port: smtpPort, count: SAMPLE, connections: POOL, inFlight: Number(values['in-flight']), dkim };
    log(`naive pooled loop (${loop.inFlight} in flight, each message composed), ${SAMPLE} messages…`);
    const naive = await naivePooledLoop(edition, loop);
    log(`precomposed nodemailer ceiling, ${SAMPLE} messages…`);
    const ceiling = await precomposedCeiling(edition, loop);
    log('postfix smtp-source…');
    const source = dkim ? null : await smtpSource(smtpPort, READERS, POOL, messageBytes);

    log(`${WORKER_RUN}, ${READERS} readers…`);
    const worker = await workerOnPostgres(runOptions);
    let quickStart: RunFigures | null = null;
    if (!values['skip-embedded']) {
      log(`${EMBEDDED_RUN}, ${READERS} readers…`);
      quickStart = await embedded(runOptions);
    }
    const csvRows = Number(values['csv-rows']);
    let csv: CsvFigures | null = null;
    if (csvRows > 0) {
      log(`CSV import of ${csvRows} rows through herald serve on PostgreSQL…`);
      csv = await csvImportRun(csvRows, values['node-options'] || undefined);
    }
    // Like --csv-rows 0, --click-seconds 0 skips its section.
    const clickFigures = Number(values['click-seconds']) > 0 ? await clicks() : null;

    // With a relay LATENCY_MS away each way, a connection carries at most one message per two round trips.
    const pipeliningBound = LATENCY_MS > 0 ? POOL / (2 * ((2 * LATENCY_MS) / 1000)) : null;
    const figures = {
      sink: sink.name,
      readers: READERS,
      poolSize: POOL,
      dkim: !!dkim,
      latencyMs: LATENCY_MS,
      worker,
      embedded: quickStart,
      csvImport: csv,
      clicks: clickFigures,
      naivePerSecond: Math.round(naive),
      ceilingPerSecond: Math.round(ceiling),
      smtpSourcePerSecond: source === null ? null : Math.round(source),
      pipeliningBoundPerSecond: pipeliningBound === null ? null : Math.round(pipeliningBound),
      ratios: {
        workerToNaive: ratio(worker.emailsPerSecond, naive),
        workerToCeiling: ratio(worker.emailsPerSecond, ceiling),
        workerToSmtpSource: ratio(worker.emailsPerSecond, source),
        embeddedToNaive: ratio(quickStart?.emailsPerSecond, naive),
        ceilingToNaive: ratio(ceiling, naive),
        workerToPipeliningBound: ratio(worker.emailsPerSecond, pipeliningBound),
      },
    };
    row(WORKER_RUN, worker.emailsPerSecond, runExtra(worker));
    if (quickStart) row(EMBEDDED_RUN, quickStart.emailsPerSecond, runExtra(quickStart));
    row(`naive pooled nodemailer loop (${loop.inFlight} in flight)`, naive, `sample of ${SAMPLE}`);
    row('precomposed nodemailer (ceiling)', ceiling, `sample of ${SAMPLE}`);
    row('postfix smtp-source', source, source === null ? (dkim ? 'does not sign: not run with --dkim' : 'not installed (Debian: postfix)') : '');
    if (csv) printCsv(csv);
    if (clickFigures) printClicks(clickFigures);
    console.log(`ratios: worker/naive ${figures.ratios.workerToNaive}×, worker/ceiling ${figures.ratios.workerToCeiling}×, ` +
      `worker/smtp-source ${figures.ratios.workerToSmtpSource ?? '—'}×, embedded/naive ${figures.ratios.embeddedToNaive ?? '—'}×`);
    if (figures.pipeliningBoundPerSecond) {
      console.log(`pipelining bound at ${LATENCY_MS} ms each way: ${figures.pipeliningBoundPerSecond} msg/s; worker reaches ${figures.ratios.workerToPipeliningBound}× of it`);
    }
    await printEnd(figures);
  } finally {
    proxy?.stop();
    await sink.stop();
  }
}

await main();
