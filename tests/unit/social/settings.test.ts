// Config → social settings: which networks post, which preview and why, and the account each delivery is addressed to.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { accountName, missingCredentials, socialSettingsFrom } from '../../../src/social/settings.js';
import { NETWORK_LIMITS } from '../../../src/social/length.js';
import { socialTextIssues } from '../../../src/social/social-texts.js';

const limits = { ...NETWORK_LIMITS };

describe('social settings', () => {
  it('configures nothing by default: every network previews, with the variables it lacks', () => {
    const config = loadConfig({});
    expect(socialSettingsFrom(config)).toEqual({});
    expect(missingCredentials(config, 'facebook')).toEqual(['FACEBOOK_PAGE_ID', 'FACEBOOK_PAGE_TOKEN']);
    expect(missingCredentials(config, 'bluesky')).toEqual(['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD']);
    expect(config).toMatchObject({ FACEBOOK_GRAPH_URL: 'https://graph.facebook.com', BLUESKY_SERVICE: 'https://bsky.social', SOCIAL_TIMEOUT_MS: 30_000 });
  });

  it('maps complete credentials onto each adapter’s settings', () => {
    const config = loadConfig({
      X_BEARER_TOKEN: 'oauth2',
      X_API_BASE_URL: 'https://x.proxy.example',
      FACEBOOK_PAGE_ID: '42',
      FACEBOOK_PAGE_TOKEN: 'page-token',
      MASTODON_URL: 'https://mastodon.example',
      MASTODON_TOKEN: 'm-token',
      BLUESKY_HANDLE: 'desk.bsky.social',
      BLUESKY_APP_PASSWORD: 'app-pass',
      SOCIAL_TIMEOUT_MS: '7000',
    });
    expect(socialSettingsFrom(config)).toMatchObject({
      x: { bearerToken: 'oauth2', baseUrl: 'https://x.proxy.example', timeoutMs: 7000 },
      facebook: { pageId: '42', pageAccessToken: 'page-token', graphUrl: 'https://graph.facebook.com', timeoutMs: 7000 },
      mastodon: { url: 'https://mastodon.example', accessToken: 'm-token', timeoutMs: 7000 },
      bluesky: { identifier: 'desk.bsky.social', appPassword: 'app-pass', service: 'https://bsky.social', timeoutMs: 7000 },
    });
    expect(['x', 'facebook', 'mastodon', 'bluesky'].map((n) => accountName(config, n as never))).toEqual([
      'x', '42', 'mastodon.example', 'desk.bsky.social',
    ]);
  });

  it('names the OAuth 1.0a keys still missing from an incomplete set instead of posting with half of them', () => {
    const config = loadConfig({ X_API_KEY: 'k', X_API_SECRET: 's' });
    expect(socialSettingsFrom(config).x).toBeUndefined();
    expect(missingCredentials(config, 'x')).toEqual(['X_ACCESS_TOKEN', 'X_ACCESS_SECRET']);
  });

  it('refuses a plain-http X base URL: twitter-api-v2 speaks only HTTPS', () => {
    expect(() => loadConfig({ X_API_BASE_URL: 'http://127.0.0.1:9' })).toThrow(/X_API_BASE_URL: must be an https:\/\/ URL/);
  });
});

describe('editors’ texts', () => {
  it('names each text that cannot be posted, skips removed ones, and lets threading networks take a long one', () => {
    const longX = `${'a'.repeat(289)} https://news.example.org/${'p'.repeat(80)}`;
    const issues = socialTextIssues({ x: longX, facebook: 'f'.repeat(70_000), mastodon: 'ok', bluesky: null }, limits);
    // X posts it as a thread of two; Facebook has no threads.
    expect(issues).toEqual([{ path: 'socialTexts.facebook', message: expect.stringMatching(/^The Facebook post is 70000 characters; Facebook allows \d+\.$/) }]);
  });

  it('checks Mastodon against the instance’s limit when given one, as one post or as a thread', () => {
    expect(socialTextIssues({ mastodon: 'm'.repeat(600) }, { ...limits, mastodon: 1000 })).toEqual([]);
    expect(socialTextIssues({ mastodon: 'm'.repeat(600) }, limits)).toEqual([]);
    // At 20 characters a post, 600 need more parts than a thread may have.
    expect(socialTextIssues({ mastodon: 'm'.repeat(600) }, { ...limits, mastodon: 20 })[0]?.message).toBe(
      'The Mastodon post does not fit one post, nor a thread: The post needs more than 25 parts; shorten it.',
    );
  });
});
