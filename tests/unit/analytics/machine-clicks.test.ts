// The machine-click rules over real user-agent strings: scanners, proxies, scripts and headless browsers are machines;
// the browsers and mail apps people read with are not. Plus the burst rule.
import { describe, expect, it } from 'vitest';
import { isScanBurst, machineUserAgent, requestVerdict } from '../../../src/analytics/machine-clicks.js';

const MACHINES: Record<string, string> = {
  'microsoft-safelinks': 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b',
  'microsoft-office': 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)',
  'microsoft-existence': 'Microsoft Office Existence Discovery',
  proofpoint: 'Mozilla/5.0 (compatible; Proofpoint URL Defense)',
  mimecast: 'Mozilla/5.0 (compatible; Mimecast URL Protect)',
  barracuda: 'Barracuda Sentinel (EE)',
  'google-image-proxy': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
  'yahoo-proxy': 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
  curl: 'curl/8.5.0',
  'python-requests': 'python-requests/2.31.0',
  wget: 'Wget/1.21.4',
  go: 'Go-http-client/1.1',
  'headless-chrome': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36',
  facebook: 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  slack: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  empty: '',
};

const PEOPLE: Record<string, string> = {
  'chrome-windows': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'safari-iphone': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  'firefox-linux': 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'edge-windows': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
  'gmail-android': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
  'outlook-desktop': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0 OneOutlook/1.2023.1214.100',
};

describe('machine clicks', () => {
  it.each(Object.entries(MACHINES))('tells %s from a person', (_name, agent) => {
    expect(machineUserAgent(agent)).toBeDefined();
    expect(requestVerdict({ method: 'GET', userAgent: agent })).toBe('user_agent');
  });

  it.each(Object.entries(PEOPLE))('takes %s for a person', (_name, agent) => {
    expect(machineUserAgent(agent)).toBeUndefined();
    expect(requestVerdict({ method: 'GET', userAgent: agent })).toBeUndefined();
  });

  it('counts a HEAD request as a machine, whatever it claims to be', () => {
    expect(requestVerdict({ method: 'HEAD', userAgent: PEOPLE['chrome-windows'] })).toBe('head_request');
  });

  it('sees a burst in three links opened within seconds of delivery, not in a reader opening them over minutes', () => {
    const sentAt = new Date('2026-12-01T10:00:00Z');
    const at = (seconds: number) => sentAt.getTime() + seconds * 1000;
    expect(isScanBurst([{ at: at(2), position: 1 }, { at: at(2.5), position: 2 }, { at: at(3), position: 3 }], sentAt)).toBe(true);
    // Same link thrice: a reader double-clicking, not a scan.
    expect(isScanBurst([{ at: at(2), position: 1 }, { at: at(3), position: 1 }, { at: at(4), position: 1 }], sentAt)).toBe(false);
    // Minutes apart.
    expect(isScanBurst([{ at: at(20), position: 1 }, { at: at(60), position: 2 }, { at: at(100), position: 3 }], sentAt)).toBe(false);
    // Hours after delivery: a person clicking around.
    expect(isScanBurst([{ at: at(7200), position: 1 }, { at: at(7201), position: 2 }, { at: at(7202), position: 3 }], sentAt)).toBe(false);
  });
});
