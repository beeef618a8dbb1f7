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

  it('throws the failed statement once every other one has finished', async () => {
    let running = 0;
    const lanes = new ImportLanes(async (rows) => {
      running++;
      await new Promise((resolve) => setTimeout(resolve, rows[0].email.startsWith('r0@') ? 1 : 20));
      running--;
      if (rows[0].email.startsWith('r0@')) throw new Error('statement failed');
    }, 2);
    const adding = (async () => {
      for (let i = 0; i < IMPORT_CHUNK_ROWS * 8; i++) await lanes.add(row(`r${i}@example.com`));
      await lanes.finish();
    })();
    await expect(adding.catch(async (error) => { await lanes.settle(); throw error; })).rejects.toThrow('statement failed');
    expect(running).toBe(0);
  });
});
