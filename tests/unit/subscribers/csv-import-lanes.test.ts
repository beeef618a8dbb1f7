// The import's lanes: statements run side by side, but never two holding the same address, and nothing is lost.
import { describe, expect, it } from 'vitest';
import { IMPORT_CHUNK_ROWS, ImportLanes } from '../../../src/subscribers/csv-import-lanes.js';
import type { ImportRow } from '../../../src/subscribers/csv-import-row.js';
import { suppressionHash } from '../../../src/subscribers/suppression.js';

const row = (email: string): ImportRow => ({
  email, emailHash: suppressionHash('lanes-test-secret', email), name: null, status: 'confirmed', topics: [], timezone: null,
});

describe('ImportLanes', () => {
  it('writes every row once, two statements at a time, and never an address on two statements at once', async () => {
    const inFlight = new Set<ImportRow[]>();
    let mostInFlight = 0;
    const written: string[] = [];
    const overlaps: string[] = [];
    const lanes = new ImportLanes(async (rows) => {
      for (const other of inFlight) for (const r of rows) if (other.some((o) => o.email === r.email)) overlaps.push(r.email);
      inFlight.add(rows);
      mostInFlight = Math.max(mostInFlight, inFlight.size);
      await new Promise((resolve) => setTimeout(resolve, 5));
      written.push(...rows.map((r) => r.email));
      inFlight.delete(rows);
    }, 2);
    // Nine addresses, one of them every 7th row: dealing rows to the lanes in turn would put each on both lanes at once.
    const total = IMPORT_CHUNK_ROWS * 6;
    const again = (i: number) => i % 7 === 0;
    let repeats = 0;
    for (let i = 0; i < total; i++) if (!(await lanes.add(row(again(i) ? `again-${(i / 7) % 9}@example.com` : `r${i}@example.com`)))) repeats++;
    await lanes.finish();
    expect(overlaps).toEqual([]);
    expect(mostInFlight).toBe(2);
    expect(written.length + repeats).toBe(total);
    expect(new Set(written.filter((e) => !e.startsWith('again-'))).size).toBe(Array.from({ length: total }, (_, i) => i).filter((i) => !again(i)).length);
  });

  it('writes the first chunk alone and in file order, before any lane starts', async () => {
    const writes: { emails: string[]; others: number }[] = [];
    let running = 0;
    const lanes = new ImportLanes(async (rows) => {
      writes.push({ emails: rows.map((r) => r.email), others: running });
      running++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
    }, 4);
    const emails = Array.from({ length: IMPORT_CHUNK_ROWS * 3 }, (_, i) => `z${IMPORT_CHUNK_ROWS * 3 - i}@example.com`);
    for (const email of emails) await lanes.add(row(email));
    await lanes.finish();
    expect(writes[0]).toEqual({ emails: emails.slice(0, IMPORT_CHUNK_ROWS), others: 0 });
    expect(writes.slice(1).every((w) => !w.emails.some((e) => writes[0].emails.includes(e)))).toBe(true);
    expect(writes.flatMap((w) => w.emails).sort()).toEqual([...emails].sort());
  });

  it('writes a file of less than a chunk as one statement, in file order', async () => {
    const writes: string[][] = [];
    const lanes = new ImportLanes(async (rows) => void writes.push(rows.map((r) => r.email)), 4);
    for (const email of ['ann@example.com', 'bob@example.com', 'ann@example.com', 'cy@example.com']) await lanes.add(row(email));
    await lanes.finish();
    expect(writes).toEqual([['ann@example.com', 'bob@example.com', 'cy@example.com']]);
  });

  it('throws the failed statement once every other one has finished', async () => {
    let running = 0;
    let statements = 0;
    const lanes = new ImportLanes(async () => {
      // The second statement, the first after the opening chunk, fails first while the other lane's is still running.
      const failing = ++statements === 2;
      running++;
      await new Promise((resolve) => setTimeout(resolve, failing ? 1 : 20));
      running--;
      if (failing) throw new Error('statement failed');
    }, 2);
    const adding = (async () => {
      for (let i = 0; i < IMPORT_CHUNK_ROWS * 8; i++) await lanes.add(row(`r${i}@example.com`));
      await lanes.finish();
    })();
    await expect(adding.catch(async (error) => { await lanes.settle(); throw error; })).rejects.toThrow('statement failed');
    expect(statements).toBeGreaterThan(2);
    expect(running).toBe(0);
  });
});
