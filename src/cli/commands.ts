// The CLI's API-backed commands: publish, import and export subscribers.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiClient } from './api-client.js';
import { CliError } from './api-client.js';
import { isFinal } from '../dispatch/lifecycle.js';
import { createProgress } from './progress.js';

interface DispatchView {
  id: number;
  status: string;
  scheduledAt: string | null;
  error: string | null;
  /** Set when the reputation guard paused the dispatch. */
  pauseReason?: string | null;
  progress: { channel: string; total: number; counts: Record<string, number> }[];
}

const UNFINISHED_DELIVERY = new Set(['pending', 'sending']);

export async function publishFile(api: ApiClient, file: string, options: { wait: boolean; out: NodeJS.WritableStream; localTime?: string }) {
  let article: unknown;
  try {
    article = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  // The flag wins over the file's own localTime; the API validates it like any field.
  if (options.localTime && article && typeof article === 'object') article = { ...article, localTime: options.localTime };
  const result = await api.request<{ id: number; title: string; dispatch: DispatchView | null }>('POST', '/api/articles', article);
  if (!result.dispatch) {
    options.out.write(`Article ${result.id} was already published; nothing was sent again.\n`);
    return;
  }
  options.out.write(`Published article ${result.id} "${result.title}" as dispatch ${result.dispatch.id}.\n`);
  if (result.dispatch.status === 'scheduled') {
    options.out.write(`Scheduled for ${result.dispatch.scheduledAt}.\n`);
    return;
  }
  if (options.localTime) {
    // Waves span up to ~26 h: watching would hold the terminal that long.
    options.out.write(`Email goes out at ${options.localTime} in each reader's zone; \`herald dispatch watch ${result.dispatch.id}\` shows the waves.\n`);
    return;
  }
  if (options.wait) await watchDispatch(api, result.dispatch.id, options.out);
}

export async function watchDispatch(api: ApiClient, dispatchId: number, out: NodeJS.WritableStream) {
  const progress = createProgress(`dispatch ${dispatchId}`);
  let view: DispatchView;
  for (;;) {
    view = await api.request<DispatchView>('GET', `/api/dispatches/${dispatchId}`);
    const total = view.progress.reduce((n, c) => n + c.total, 0);
    const done = view.progress.reduce(
      (n, c) => n + Object.entries(c.counts).filter(([s]) => !UNFINISHED_DELIVERY.has(s)).reduce((m, [, k]) => m + k, 0),
      0,
    );
    progress.update(done, total, view.status);
    if (isFinal(view.status)) break;
    // Paused by the reputation guard: nothing moves until an editor decides, so stop watching and say why.
    if (view.status === 'paused' && view.pauseReason) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  progress.stop();
  for (const channel of view.progress) {
    const counts = Object.entries(channel.counts).map(([s, n]) => `${n} ${s}`).join(', ');
    out.write(`  ${channel.channel}: ${counts}\n`);
  }
  const why = view.error ?? view.pauseReason;
  out.write(`Dispatch ${dispatchId} ${view.status.replace(/_/g, ' ')}${why ? `: ${why}` : ''}.\n`);
  if (view.status === 'paused') throw new CliError(`dispatch ${dispatchId} paused itself; resume or cancel it`);
  if (view.status === 'failed') throw new CliError(`dispatch ${dispatchId} failed`);
  // Finished, but not every reader got it: say so in the exit code too, so a script notices.
  if (view.status === 'completed_with_failures') throw new CliError(`dispatch ${dispatchId} completed with failures`);
}

export async function importCsv(api: ApiClient, file: string, out: NodeJS.WritableStream) {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const progress = createProgress('import (bytes)');
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      progress.update(sent, size);
      done(null, chunk);
    },
  });
  const body = createReadStream(file).pipe(counter);
  const report = await api.upload<{ imported: number; updated: number; skipped: number; errors: { line: number; reason: string }[] }>(
    '/api/subscribers/import', 'text/csv', body, size,
  );
  progress.stop();
  out.write(`Imported ${report.imported}, updated ${report.updated}, skipped ${report.skipped}.\n`);
  for (const error of report.errors.slice(0, 20)) out.write(`  line ${error.line}: ${error.reason}\n`);
  if (report.errors.length > 20) out.write(`  … and ${report.errors.length - 20} more errors\n`);
}

export async function exportCsv(api: ApiClient, file: string | undefined, out: NodeJS.WritableStream) {
  const response = await api.download('/api/subscribers/export');
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  await pipeline(body, file ? createWriteStream(file) : out);
}
