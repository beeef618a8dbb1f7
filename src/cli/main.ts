// The `herald` command: serve, worker, migrate, and API-backed editor commands.
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { migrate, openDatabase, pgliteDataDir } from '../db/database.js';
import { startHerald, type Herald } from '../herald.js';
import { stopOnSignals } from '../runtime/graceful-stop.js';
import { heraldVersion } from '../runtime/templates-dir.js';
import { apiBaseUrl, createApiClient, resolveToken } from './api-client.js';
import { exportCsv, importCsv, publishFile } from './commands.js';
import { addDispatchCommands } from './dispatch-commands.js';
import { addArticleCommands } from './article-commands.js';

function config(): Config {
  return loadConfig();
}

function runUntilSignalled(herald: Herald): Promise<void> {
  return stopOnSignals(herald, { graceMs: herald.ctx.config.HERALD_SHUTDOWN_GRACE_MS, log: herald.ctx.log });
}

interface ApiOptions {
  url?: string;
  token?: string;
}

function api(options: ApiOptions) {
  const c = config();
  return createApiClient(apiBaseUrl(c, options.url), resolveToken(c, options.token));
}

export function buildCli(): Command {
  const program = new Command('herald')
    .description('Herald: one article in, an email edition and social posts out.')
    .version(heraldVersion(), '-V, --version', 'print the version')
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the API and all workers in one process (what `npm start` runs)')
    .option('--no-workers', 'run the API only')
    .action(async (options: { workers: boolean }) => {
      const herald = await startHerald(config(), { http: true, workers: options.workers });
      await runUntilSignalled(herald);
    });

  program
    .command('worker')
    .description('run the queue workers only (scale out on more machines against the same Redis and PostgreSQL)')
    .action(async () => {
      const herald = await startHerald(config(), { http: false, workers: true });
      await runUntilSignalled(herald);
    });

  program
    .command('migrate')
    .description('apply database migrations (also done automatically at start)')
    .action(async () => {
      const c = config();
      const { db } = await openDatabase({ url: c.DATABASE_URL, dataDir: pgliteDataDir(c.HERALD_DATA_DIR) });
      try {
        const applied = await migrate(db);
        process.stdout.write(applied.length ? `Applied ${applied.join(', ')}.\n` : 'Database is up to date.\n');
      } finally {
        await db.destroy();
      }
    });

  program
    .command('doctor')
    .description('check configuration, Redis, the database, SMTP, DKIM and each social account (read-only, sends nothing)')
    .action(async () => {
      let c: Config;
      try {
        c = config();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const problem of error.problems) process.stdout.write(`error   config: ${problem.variable}: ${problem.message}\n`);
        process.exitCode = 1;
        return;
      }
      const { formatFinding, runDoctor } = await import('../ops/doctor.js');
      const findings = await runDoctor(c);
      for (const finding of findings) process.stdout.write(`${formatFinding(finding)}\n`);
      const errors = findings.filter((f) => f.level === 'error').length;
      const warnings = findings.filter((f) => f.level === 'warning').length;
      process.stdout.write(`\n${errors} error(s), ${warnings} warning(s)\n`);
      if (errors > 0) process.exitCode = 1;
    });

  const withApi = (command: Command) =>
    command
      .option('--url <url>', 'Herald API base URL (default: http://HOST:PORT)')
      .option('--token <token>', 'API token (default: HERALD_TOKEN, HERALD_ADMIN_TOKEN, or the generated admin token)');

  withApi(
    program
      .command('publish <file>')
      .description('publish an article from a JSON file and follow its dispatch until it completes')
      .option('--no-wait', 'return once published')
      .option('--local-time <HH:MM>', "email at that time in each reader's zone, in waves (e.g. 07:00)"),
  ).action(async (file: string, options: ApiOptions & { wait: boolean; localTime?: string }) => {
    await publishFile(api(options), file, { wait: options.wait, out: process.stdout, localTime: options.localTime });
  });

  const subscribers = program.command('subscribers').description('import and export subscribers');
  withApi(subscribers.command('import <file>').description('import a CSV (email,name,topics,status)')).action(
    async (file: string, options: ApiOptions) => importCsv(api(options), file, process.stdout),
  );
  withApi(
    subscribers.command('export').description('export every subscriber as CSV').option('-o, --output <file>', 'write to a file'),
  ).action(async (options: ApiOptions & { output?: string }) => exportCsv(api(options), options.output, process.stdout));

  addDispatchCommands(program, withApi, api);
  addArticleCommands(program, withApi, api);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    // One clear line, whatever went wrong: a user acts on the message, not on a stack trace.
    process.stderr.write(`herald: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
