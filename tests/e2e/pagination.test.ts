// Every list endpoint pages the same way: ?limit= (capped), an opaque ?cursor=, nextCursor in the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald({ workers: false });
  for (let i = 0; i < 5; i++) {
    expect((await herald.api('/api/articles', { body: articlePayload() })).status).toBe(201);
    expect((await herald.api('/api/subscribers', { body: { email: `page${i}@example.org`, status: 'confirmed' } })).status).toBe(201);
  }
});
afterAll(() => herald?.stop());

async function walk(path: string, key: string, limit: number): Promise<number[][]> {
  const pages: number[][] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const response = await herald.api(`${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.status).toBe(200);
    const body = await response.json();
    pages.push(body[key].map((row: { id: number }) => row.id));
    cursor = body.nextCursor;
  } while (cursor && pages.length < 10);
  return pages;
}

describe('one pagination convention', () => {
  it.each([
    ['/api/articles', 'articles', 'desc'],
    ['/api/dispatches', 'dispatches', 'desc'],
    ['/api/subscribers', 'subscribers', 'asc'],
  ] as const)('%s walks every row once, page by page, and says when it is done', async (path, key, order) => {
    const pages = await walk(path, key, 2);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    const ids = pages.flat();
    expect(new Set(ids).size).toBe(5);
    expect(ids).toEqual([...ids].sort((a, b) => (order === 'asc' ? a - b : b - a)));
  });

  it('answers a page that ends exactly at the last row with nextCursor null', async () => {
    const body = await (await herald.api('/api/subscribers?limit=5')).json();
    expect(body.subscribers).toHaveLength(5);
    expect(body.nextCursor).toBeNull();
  });

  it('caps limit and refuses a cursor it did not hand out, with a stable code', async () => {
    const tooMany = await herald.api('/api/dispatches?limit=501');
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ code: 'invalid_input', issues: [{ path: 'limit' }] });
    for (const cursor of ['not-a-cursor', Buffer.from('{"p":-1}').toString('base64url'), Buffer.from('{"p":"x"}').toString('base64url')]) {
      const response = await herald.api(`/api/articles?cursor=${cursor}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'invalid_cursor', issues: [{ path: 'cursor' }] });
    }
  });

  it('gives every error kind its own code', async () => {
    expect(await (await herald.api('/api/articles', { token: null })).json()).toMatchObject({ code: 'missing_token' });
    expect(await (await herald.api('/api/articles', { token: 'hrld_unknown' })).json()).toMatchObject({ code: 'invalid_token' });
    expect(await (await herald.api('/api/articles/999999')).json()).toMatchObject({ code: 'not_found', error: 'article not found' });
    expect(await (await herald.api('/api/nowhere')).json()).toMatchObject({ code: 'not_found' });
    const duplicate = await herald.api('/api/subscribers', { body: { email: 'page0@example.org' } });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ code: 'duplicate' });
  });
});
