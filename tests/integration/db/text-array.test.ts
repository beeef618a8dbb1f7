// The text[] literal Herald writes itself: whatever an element holds, the database reads back the same array.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { textArrayLiteral } from '../../../src/db/text-array.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

it('reads back every element as written: quotes, backslashes, separators, the word NULL, empty text and null', async () => {
  const values = ['plain', 'with space', 'a,b', '{braces}', 'say "hi"', 'back\\slash', '\\"both', 'NULL', 'null', '', null, 'Zoë 東京 🦜', ' padded ', 'tab\there', 'line\nbreak', '\u001fseparated'];
  const { rows } = await sql<{ values: (string | null)[] }>`select ${textArrayLiteral(values)}::text[] as values`.execute(database.db);
  expect(rows[0].values).toEqual(values);
});

it('writes an empty list as an empty array', async () => {
  const { rows } = await sql<{ n: number }>`select cardinality(${textArrayLiteral([])}::text[]) as n`.execute(database.db);
  expect(Number(rows[0].n)).toBe(0);
});
