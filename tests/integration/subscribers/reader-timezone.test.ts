// A reader's time zone from every way in: the CSV `timezone` column (a bad zone is that row's error, the rest go in),
// the editor API, the public JSON sign-up, the preferences page; and the local-time fields of the API refused clearly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preferencesUrl } from '../../../src/subscribers/subscriber-links.js';
import { articlePayload } from '../../support/articles.js';
import { startTestHerald, type TestHerald } from '../../support/herald.js';
import { postForm, postJson } from '../../support/subscribers/http.js';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({ workers: false, env: { HERALD_TIMEZONE: 'Europe/Berlin' } });
});
afterAll(() => herald?.stop());

const zoneOf = async (email: string) =>
  (await herald.ctx.db.selectFrom('subscribers').select('timezone').where('email', '=', email).executeTakeFirstOrThrow()).timezone;

const importCsv = async (body: string) => {
  const response = await herald.api('/api/subscribers/import', { body, headers: { 'content-type': 'text/csv' } });
  expect(response.status).toBe(200);
  return response.json();
};

describe('the CSV timezone column', () => {
  it('stores each valid zone canonically, reports an invalid one as that row\'s error, and keeps a known zone on an empty cell', async () => {
    const report = await importCsv([
      'email,name,timezone',
      'csv-tokyo@example.com,Tokyo,Asia/Tokyo',
      'csv-ny@example.com,NY,america/new_york',
      'csv-mars@example.com,Mars,Mars/Olympus_Mons',
      'csv-none@example.com,None,',
    ].join('\n'));
    expect(report).toEqual({
      imported: 3, updated: 0, skipped: 1,
      errors: [{ line: 4, reason: 'timezone: must be an IANA time zone such as Europe/Berlin, got "Mars/Olympus_Mons"' }],
    });
    expect(await zoneOf('csv-tokyo@example.com')).toBe('Asia/Tokyo');
    expect(await zoneOf('csv-ny@example.com')).toBe('America/New_York');
    expect(await zoneOf('csv-none@example.com')).toBeNull(); // the installation's
    expect(await herald.ctx.db.selectFrom('subscribers').select('id').where('email', '=', 'csv-mars@example.com').executeTakeFirst()).toBeUndefined();

    // A later import that names a new zone changes it; one that leaves the cell empty does not.
    expect(await importCsv('email,timezone\ncsv-tokyo@example.com,Europe/Lisbon\ncsv-ny@example.com,\n')).toEqual({ imported: 0, updated: 1, skipped: 1, errors: [] });
    expect(await zoneOf('csv-tokyo@example.com')).toBe('Europe/Lisbon');
    expect(await zoneOf('csv-ny@example.com')).toBe('America/New_York');
  });
});

describe('the API', () => {
  it('takes a subscriber\'s zone and refuses an unknown one with the field and the reason', async () => {
    const ok = await herald.api('/api/subscribers', { body: { email: 'api-zone@example.com', timezone: 'Pacific/Auckland' } });
    expect(ok.status).toBe(201);
    expect((await ok.json()).timezone).toBe('Pacific/Auckland');
    const bad = await herald.api('/api/subscribers', { body: { email: 'api-bad@example.com', timezone: 'Europe/Atlantis' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).issues).toEqual([{ path: 'timezone', message: 'must be an IANA time zone such as Europe/Berlin' }]);
  });

  it('refuses a local time that is not HH:MM, on publish and on reschedule', async () => {
    for (const localTime of ['7am', '24:00', '07:60', 7]) {
      const response = await herald.api('/api/articles', { body: { ...articlePayload({ title: 'x' }), localTime } });
      expect(response.status).toBe(400);
      expect((await response.json()).issues.map((i: { path: string }) => i.path)).toEqual(['localTime']);
    }
    const published = await herald.api('/api/articles', {
      body: { ...articlePayload({ title: 'Later' }), schedule: { at: '2099-01-01T09:00:00Z' }, localTime: '07:00' },
    });
    expect(published.status).toBe(201);
    const { dispatch } = await published.json();
    expect(dispatch).toMatchObject({ status: 'scheduled', localTime: '07:00' });
    const bad = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { localTime: '25:00' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).issues).toEqual([{ path: 'localTime', message: 'must be HH:MM (24 h), e.g. 07:00' }]);
    const none = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: {} });
    expect(none.status).toBe(400);
    const moved = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { localTime: '06:15' } });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ status: 'scheduled', localTime: '06:15', scheduledAt: '2099-01-01T09:00:00.000Z' });
  });
});

describe('the public pages', () => {
  it('take the zone the form sends, and drop one the browser could not name rather than block the reader', async () => {
    const json = await postJson(`${herald.baseUrl}/subscribe`, { email: 'json-zone@example.com', timezone: 'Asia/Kolkata' });
    expect(json.status).toBe(202);
    // Kept as Intl names it (ICU's canonical id), so aliases of one zone share a wave.
    expect(await zoneOf('json-zone@example.com')).toBe(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone);
    const badJson = await postJson(`${herald.baseUrl}/subscribe`, { email: 'json-bad@example.com', timezone: 'Nowhere/Land' });
    expect(badJson.status).toBe(400);

    const form = await postForm(`${herald.baseUrl}/subscribe`, { email: 'form-bad@example.com', timezone: 'Nowhere/Land' });
    expect(form.status).toBe(200);
    expect(await zoneOf('form-bad@example.com')).toBeNull();
  });

  it('let a reader choose a zone on the preferences page, or go back to the newsletter\'s', async () => {
    const created = await (await herald.api('/api/subscribers', { body: { email: 'prefs-zone@example.com' } })).json();
    const url = preferencesUrl({ publicUrl: herald.ctx.config.PUBLIC_URL, secret: herald.ctx.secret }, created.id);
    const page = await (await fetch(url)).text();
    expect(page).toContain('<option value="" selected>The newsletter\'s (Europe/Berlin)</option>');

    expect((await postForm(url, { cadence: 'instant', timezone: 'America/Chicago' })).status).toBe(200);
    expect(await zoneOf('prefs-zone@example.com')).toBe('America/Chicago');
    expect(await (await fetch(url)).text()).toContain('<option selected>America/Chicago</option>');

    const bad = await postForm(url, { cadence: 'instant', timezone: 'Chicago' });
    expect(bad.status).toBe(400);
    expect(await zoneOf('prefs-zone@example.com')).toBe('America/Chicago');

    expect((await postForm(url, { cadence: 'instant', timezone: '' })).status).toBe(200);
    expect(await zoneOf('prefs-zone@example.com')).toBeNull();
  });
});
