// The `herald` command as a user runs it: publish with progress, import and export, clear one-line errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload, FIXTURE_DIR } from '../support/articles.js';
import { ADMIN_TOKEN, startTestHerald, type TestHerald } from '../support/herald.js';
import { runHerald } from '../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

let herald: TestHerald;
let smtp: SmtpSink;
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
const cli = (...args: string[]) =>
  runHerald([...args, '--url', herald.baseUrl], { HERALD_TOKEN: ADMIN_TOKEN, HERALD_DATA_DIR: dir });

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('herald subscribers', () => {
  it('imports a CSV file and exports it again', async () => {
    const csv = join(dir, 'in.csv');
    writeFileSync(csv, 'email,name,topics\nann@example.com,Ann,nation\nbob@example.com,Bob,\nnot-an-email,X,\n');
    const imported = await cli('subscribers', 'import', csv);
    expect(imported.code).toBe(0);
    expect(imported.output).toContain('Imported 2, updated 0, skipped 1.');
    expect(imported.output).toContain('line 4: email: must be a valid email address');

    const out = join(dir, 'out.csv');
    const exported = await cli('subscribers', 'export', '-o', out);
    expect(exported.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['ann@example.com', 'bob@example.com']);
  });
});

describe('herald publish', () => {
  it('publishes a file and follows the dispatch until it completes', async () => {
    const result = await cli('publish', join(FIXTURE_DIR, 'seed-article.json'));
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/Published article \d+ ".*America, ISIS Accomplice.*" as dispatch \d+\./);
    expect(result.output).toContain('email: 2 sent');
    expect(result.output).toMatch(/Dispatch \d+ completed\./);
    expect(smtp.messages.map((m) => m.envelopeTo[0]).sort()).toEqual(['ann@example.com', 'bob@example.com']);

    const again = await cli('publish', join(FIXTURE_DIR, 'seed-article.json'));
    expect(again.code).toBe(0);
    expect(again.output).toContain('was already published; nothing was sent again');
    expect(smtp.messages).toHaveLength(2);
  });

  it('fails with one clear line for a missing file, bad input and a wrong token', async () => {
    const missing = await cli('publish', join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.output.trim()).toMatch(/^herald: cannot read .*nope\.json: ENOENT/);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(articlePayload({ url: 'ftp://x', title: '' })));
    const invalid = await cli('publish', bad);
    expect(invalid.code).toBe(1);
    expect(invalid.output.trim().split('\n')).toHaveLength(1);
    expect(invalid.output).toMatch(/^herald: 400 invalid body \(.*title: .*url: must be an absolute http\(s\) URL/);

    const wrongToken = await runHerald(['publish', bad, '--url', herald.baseUrl, '--token', 'hrld_nope'], { HERALD_DATA_DIR: dir });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.output.trim()).toBe('herald: 401 invalid token');
  });

  it('names the variable when the configuration is invalid', async () => {
    const result = await runHerald(['migrate'], { HERALD_DATA_DIR: dir, PORT: 'eighty', REDIS_URL: 'not a url' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('PORT:');
    expect(result.output).toContain('REDIS_URL: must be a URL like redis://127.0.0.1:6379');
  });
});
