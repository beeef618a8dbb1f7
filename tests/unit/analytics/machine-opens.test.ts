// The machine-open rules over real user-agent strings: Apple Mail Privacy Protection, Google's and Yahoo's image
// proxies, scanners and prefetches are machine opens; the mail apps people read with are not.
import { describe, expect, it } from 'vitest';
import { machineOpen, PREFETCH_RULE } from '../../../src/analytics/machine-opens.js';

const SENT = new Date('2026-12-01T10:00:00Z');
const LATER = new Date(SENT.getTime() + 3_600_000);
const fetchBy = (userAgent: string, at = LATER, method = 'GET') => machineOpen({ method, userAgent, at }, SENT);

const MACHINES: Array<[name: string, agent: string, reason: string]> = [
  ['apple-mail-privacy-protection', 'Mozilla/5.0', 'apple_privacy'],
  ['google-image-proxy', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', 'google_proxy'],
  ['yahoo-mail-proxy', 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html', 'image_proxy'],
  ['microsoft-safelinks', 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b', 'user_agent'],
  ['mimecast', 'Mozilla/5.0 (compatible; Mimecast URL Protect)', 'user_agent'],
  ['proofpoint', 'Mozilla/5.0 (compatible; Proofpoint URL Defense)', 'user_agent'],
  ['curl', 'curl/8.5.0', 'user_agent'],
  ['headless-chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36', 'user_agent'],
  ['no user agent', '', 'user_agent'],
];

const PEOPLE: Record<string, string> = {
  'apple-mail-macos': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  'apple-mail-iphone': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  thunderbird: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.5.0',
  'outlook-desktop': 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)',
  'new-outlook': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0 OneOutlook/1.2023.1214.100',
  'gmail-in-chrome': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'samsung-email': 'Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36',
};

describe('machine opens', () => {
  it.each(MACHINES)('counts %s as a machine open', (_name, agent, reason) => {
    expect(fetchBy(agent)).toBe(reason);
  });

  it.each(Object.entries(PEOPLE))('takes %s for a person', (_name, agent) => {
    expect(fetchBy(agent)).toBeUndefined();
  });

  it('counts a HEAD request as a machine, whatever it claims to be', () => {
    expect(fetchBy(PEOPLE['thunderbird']!, LATER, 'HEAD')).toBe('head_request');
  });

  it('counts a fetch within seconds of sending as a prefetch, one a little later as a person', () => {
    const soon = new Date(SENT.getTime() + (PREFETCH_RULE.afterSendSeconds - 1) * 1000);
    const after = new Date(SENT.getTime() + (PREFETCH_RULE.afterSendSeconds + 1) * 1000);
    expect(fetchBy(PEOPLE['apple-mail-iphone']!, soon)).toBe('prefetch');
    expect(fetchBy(PEOPLE['apple-mail-iphone']!, after)).toBeUndefined();
    // Without a send time (nothing to compare with), only the user agent decides.
    expect(machineOpen({ method: 'GET', userAgent: PEOPLE['thunderbird'], at: SENT })).toBeUndefined();
  });
});
