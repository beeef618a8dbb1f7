// The CSV import: streamed (rows reach the database while the upload is still going), with line numbers that stay
// right after quoted multi-line fields, a BOM taken in its stride, an unreadable file reported with its line, and
// `imported`/`updated`/`skipped` counting what really changed. Its memory use is a figure for the bench, not a test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({ workers: false });
});
afterAll(() => herald?.stop());

const importCsv = async (body: string) => {
  const response = await herald.api('/api/subscribers/import', { body, headers: { 'content-type': 'text/csv' } });
  expect(response.status).toBe(200);
  return response.json();
};
const subscriber = (email: string) => herald.ctx.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
const countLike = async (pattern: string) =>
  Number((await herald.ctx.db.selectFrom('subscribers').select((eb) => eb.fn.countAll().as('n')).where('email', 'like', pattern).executeTakeFirstOrThrow()).n);

describe('a streamed import', () => {
  it('writes rows to the database before the upload has ended', async () => {
    const encoder = new TextEncoder();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `stream-${from + i}@example.com,Reader ${from + i}`).join('\n') + '\n';
    // The first 2500 rows, then the upload stalls until the test has seen rows in the database (the first chunk is
    // written as soon as it is read, whatever the number of lanes).
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('email,name\n' + rows(0, 2500)));
        await held;
        controller.enqueue(encoder.encode(rows(2500, 3000)));
        controller.close();
      },
    });
    const upload = fetch(`${herald.baseUrl}/api/subscribers/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${herald.env.HERALD_ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    try {
      await eventually(async () => (await countLike('stream-%')) >= 1000, 20_000, 'rows in the database mid-upload');
    } finally {
      release();
    }
    const response = await upload;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ imported: 3000, updated: 0, skipped: 0, errors: [] });
    expect(await countLike('stream-%')).toBe(3000);
  });
});

describe('the file as written', () => {
  it('numbers lines as the file does, after quoted fields that span lines', async () => {
    const csv = [
      'email,name,topics,status',
      'multi-1@example.com,"First line',
      'second line',
      'third line",nation,',
      'not-an-address,Broken,,',
      'multi-2@example.com,"A ""quoted"" name",,',
      'multi-3@example.com,Three,,maybe',
    ].join('\n');
    const report = await importCsv(csv);
    expect(report).toMatchObject({ imported: 2, updated: 0, skipped: 2 });
    expect(report.errors).toEqual([
      { line: 5, reason: expect.stringContaining('email') },
      { line: 7, reason: expect.stringContaining('status') },
    ]);
    // Line breaks inside a name become spaces; quotes are unescaped.
    expect((await subscriber('multi-1@example.com'))?.name).toBe('First line second line third line');
    expect((await subscriber('multi-2@example.com'))?.name).toBe('A "quoted" name');
  });

  it('reads a file that starts with a UTF-8 byte order mark', async () => {
    const report = await importCsv('\uFEFFemail,name\nbom-reader@example.com,Zoë\n');
    expect(report).toEqual({ imported: 1, updated: 0, skipped: 0, errors: [] });
    expect(await subscriber('bom-reader@example.com')).toMatchObject({ name: 'Zoë', status: 'confirmed' });
  });

  // Whether rows parsed just before the error are kept depends on how the stream's chunks fall (seen: kept on one
  // run, dropped on another), so this checks only what is certain: the error, its line, nothing after it.
  it('reports an unclosed quote as unreadable, with its line, and imports nothing after it', async () => {
    const report = await importCsv('email,name\nbefore-quote@example.com,Fine\nbroken-quote@example.com,"never closed\nafter@example.com,Lost\n');
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ line: expect.any(Number), reason: expect.stringMatching(/^unreadable CSV: .*quote/i) });
    expect(report.errors[0].line).toBeGreaterThanOrEqual(3);
    expect(await subscriber('broken-quote@example.com')).toBeUndefined();
    expect(await subscriber('after@example.com')).toBeUndefined();
  });

  it('reports a stray quote inside a field as unreadable, with its line, keeping the rows before it', async () => {
    const report = await importCsv('email,name\nbefore-stray@example.com,Fine\nstray-quote@example.com,Jo "Jo" Doe\nafter-stray@example.com,Lost\n');
    expect(report).toEqual({ imported: 1, updated: 0, skipped: 0, errors: [{ line: 3, reason: expect.stringMatching(/^unreadable CSV: .*quote/i) }] });
    expect(await subscriber('before-stray@example.com')).toMatchObject({ name: 'Fine' });
    expect(await subscriber('after-stray@example.com')).toBeUndefined();
  });
});

describe('the counts', () => {
  it('counts a changed known address as updated, and an unchanged one or a repeat as skipped', async () => {
    await importCsv('email,name,topics,status\ncount-1@example.com,One,,pending\ncount-2@example.com,Two,sports,\ncount-3@example.com,Three,,\n');
    const report = await importCsv([
      'email,name,topics,status',
      'count-1@example.com,One,,confirmed', // pending → confirmed
      'count-2@example.com,Two,sports|nation,', // new topics
      'count-3@example.com,Three,,', // nothing changes
      'count-4@example.com,Four,,', // new
      'count-4@example.com,Four again,,', // a repeat within the file
    ].join('\n'));
    expect(report).toEqual({ imported: 1, updated: 2, skipped: 2, errors: [] });
    expect(await subscriber('count-1@example.com')).toMatchObject({ status: 'confirmed' });
    expect((await subscriber('count-2@example.com'))?.topics).toEqual(['sports', 'nation']);
  });

  it('keeps what the file says last of an address that comes back chunks later, in any spelling', async () => {
    // Enough rows between the two that the first is written, on its own statement, well before the second is read.
    const between = Array.from({ length: 6000 }, (_, i) => `later-${i}@example.com,Reader ${i},,`);
    const report = await importCsv([
      'email,name,topics,status',
      'Later@Example.com,First name,arts,pending',
      ...between,
      'later@example.com,Last name,nation,confirmed',
    ].join('\n'));
    expect(report).toEqual({ imported: 6001, updated: 1, skipped: 0, errors: [] });
    expect(await subscriber('later@example.com')).toMatchObject({ name: 'Last name', topics: ['nation'], status: 'confirmed' });
    const history = await herald.ctx.db.selectFrom('events').select('event').where('subjectType', '=', 'subscriber')
      .where('subjectId', '=', String((await subscriber('later@example.com'))!.id)).orderBy('id').execute();
    expect(history.map((e) => e.event)).toEqual(['subscriber.created', 'subscriber.updated']);
  });
});
