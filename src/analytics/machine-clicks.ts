// The rules that tell a machine's click (a mail scanner, a link-preview proxy, a script) from a person's: the one
// place they live. Pure: the burst memory that feeds `isScanBurst` is src/analytics/click-bursts.ts.

export type MachineReason = 'head_request' | 'user_agent' | 'burst' | 'canary';

/**
 * User agents that only machines send, by what sends them. Security gateways (Defender for Office 365 Safe Links,
 * Proofpoint, Mimecast, Barracuda) open every link of a message on arrival; image and preview proxies fetch what
 * the message points at; scripts and headless browsers announce themselves. A scanner posing as a desktop browser
 * is caught by the burst and canary rules instead.
 */
const MACHINE_AGENTS: ReadonlyArray<[name: string, pattern: RegExp]> = [
  ['microsoft-safelinks', /BingPreview|ms-office|MSOffice \d|Microsoft Office Existence Discovery|Microsoft-WebDAV|SafeLinks|ATP\b.*Microsoft/i],
  ['proofpoint', /proofpoint/i],
  ['mimecast', /mimecast/i],
  ['barracuda', /barracuda/i],
  ['google-image-proxy', /GoogleImageProxy|ggpht\.com/i],
  ['yahoo-mail-proxy', /YahooMailProxy/i],
  ['headless-browser', /HeadlessChrome|PhantomJS|Puppeteer|Playwright|Electron\/.*HeadlessChrome/i],
  ['http-library', /^(curl|Wget|python-requests|python-urllib|Python\/|aiohttp|httpx|Go-http-client|okhttp|Java\/|Apache-HttpClient|libwww-perl|axios|node-fetch|undici|PostmanRuntime|Ruby|Faraday)\b/i],
  ['link-preview', /facebookexternalhit|Slackbot|Twitterbot|LinkedInBot|Discordbot|TelegramBot|WhatsApp|SkypeUriPreview/i],
  ['crawler', /\b(bot|crawler|spider|scanner)\b|Googlebot|bingbot/i],
];

/** The kind of machine a user agent names, or undefined for what looks like a person's browser or mail app. */
export function machineUserAgent(userAgent: string | undefined): string | undefined {
  const agent = userAgent?.trim() ?? '';
  if (agent === '') return 'no-user-agent';
  return MACHINE_AGENTS.find(([, pattern]) => pattern.test(agent))?.[0];
}

/** What the request alone says: a HEAD (link checkers ask whether the target exists) or a machine's user agent. */
export function requestVerdict(request: { method: string; userAgent?: string }): MachineReason | undefined {
  if (request.method.toUpperCase() === 'HEAD') return 'head_request';
  return machineUserAgent(request.userAgent) ? 'user_agent' : undefined;
}

/** A scanner opens many links of a message within seconds, soon after it arrived; a reader opens one or two. */
export const BURST_RULE = {
  /** Different links of one message clicked … */
  linksAtOnce: 3,
  /** … within this many seconds of each other … */
  withinSeconds: 10,
  /** … and within this long after the message was sent. */
  afterDeliverySeconds: 120,
} as const;

export interface ReaderClick {
  /** Milliseconds since the epoch. */
  at: number;
  position: number;
}

/** Whether one message's recent clicks (the newest last) are a scanner's burst. */
export function isScanBurst(clicks: readonly ReaderClick[], sentAt: Date): boolean {
  const newest = clicks.at(-1);
  if (!newest || newest.at - sentAt.getTime() > BURST_RULE.afterDeliverySeconds * 1000) return false;
  const recent = clicks.filter((click) => newest.at - click.at <= BURST_RULE.withinSeconds * 1000);
  return new Set(recent.map((click) => click.position)).size >= BURST_RULE.linksAtOnce;
}
