// The subscribe form in a real headless Chromium set to a zone: its one script (allowed by its hash in the page's
// Content-Security-Policy) fills the hidden field, and the new subscriber is stored in the browser's zone.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';

let browser: Browser;
let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({ workers: false, env: { HERALD_TIMEZONE: 'Europe/Berlin' } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await herald?.stop();
});

const zoneOf = async (email: string) =>
  (await herald.ctx.db.selectFrom('subscribers').select('timezone').where('email', '=', email).executeTakeFirst())?.timezone;

describe('the subscribe form', () => {
  for (const [zone, email] of [['Asia/Tokyo', 'tokyo-browser@example.com'], ['America/New_York', 'ny-browser@example.com']] as const) {
    it(`signs up a reader whose browser is in ${zone} in that zone`, async () => {
      const context = await browser.newContext({ timezoneId: zone });
      const page = await context.newPage();
      const blocked: string[] = [];
      page.on('console', (message) => message.type() === 'error' && blocked.push(message.text()));
      try {
        await page.goto(`${herald.baseUrl}/subscribe`);
        expect(await page.inputValue('input[name="timezone"]')).toBe(zone);
        await page.fill('#email', email);
        await page.click('button[type="submit"]');
        await page.waitForSelector('text=Check your inbox');
      } finally {
        await context.close();
      }
      expect(blocked).toEqual([]); // nothing refused by the Content-Security-Policy
      expect(await eventually(() => zoneOf(email), 10_000, 'the subscriber')).toBe(zone);
    });
  }
});
