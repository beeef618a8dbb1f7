// Whether X is configured: its own module, so deciding does not load twitter-api-v2.

/** OAuth 1.0a's four keys, or an OAuth 2.0 user token. */
export function hasXCredentials(s: {
  apiKey?: string;
  apiSecret?: string;
  accessToken?: string;
  accessSecret?: string;
  bearerToken?: string;
}): boolean {
  return !!s.bearerToken || !!(s.apiKey && s.apiSecret && s.accessToken && s.accessSecret);
}
