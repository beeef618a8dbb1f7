// The CSV import, measured as an editor meets it: `herald serve` on PostgreSQL, a generated file of N readers streamed
// to POST /api/subscribers/import, rows per second and the server's peak RSS while it reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createPostgresDatabase } from '../tests/support/database.js';
import { clearQueuePrefix, randomPrefix } from '../tests/support/herald.js';
import { spawnHerald, type HeraldProcess } from '../tests/support/processes.js';
import { ADMIN_TOKEN, heraldEnv, listeningAddress, rssMb } from './herald-runs.js';

export interface CsvFigures {
  rows: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

/** The file, generated as it is sent: 1,000 rows a chunk, so the bench never holds it whole either. */
function csvRows(rows: number): Readable {
  let next = 1;
  return new Readable({
    read() {
      if (next === 1) this.push('email,name,topics,status\n');
      if (next > rows) return void this.push(null);
      const lines: string[] = [];
      for (const end = Math.min(rows, next + 999); next <= end; next++) lines.push(`import${next}@example.com,Reader ${next},news|sports,confirmed`);
      this.push(`${lines.join('\n')}\n`);
    },
  });
}

export async function csvImportRun(rows: number, nodeOptions?: string): Promise<CsvFigures> {
  const pg = await createPostgresDatabase();
  const prefix = randomPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-csv-'));
  let serve: HeraldProcess | undefined;
  try {
    const env = heraldEnv({ smtpPort: 9, poolSize: 1, nodeOptions }, prefix, dataDir);
    serve = spawnHerald(['serve'], { ...env, DATABASE_URL: pg.url, PORT: '0', LOG_LEVEL: 'info' }, { compiled: true });
    const address = await listeningAddress(serve);
    const pid = serve.child.pid!;
    let peakRssMb = rssMb(pid);
    const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, rssMb(pid))), 50);
    try {
      while ((await fetch(`${address}/healthz`)).status === 503) await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const response = await fetch(`${address}/api/subscribers/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
        body: Readable.toWeb(csvRows(rows)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const result = (await response.json()) as { imported: number; errors: unknown[] };
      const seconds = (performance.now() - started) / 1000;
      if (response.status !== 200 || result.imported !== rows) throw new Error(`import answered ${response.status}: ${JSON.stringify(result).slice(0, 500)}`);
      return { rows, rowsPerSecond: Math.round(rows / seconds), peakRssMb: Math.round(peakRssMb) };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await serve?.kill('SIGTERM');
    await pg.drop();
    await clearQueuePrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
