// UTM parameters on links to the newsroom's own site, so its web analytics can tell which channel sent a reader.
export interface UtmSettings {
  /** Hosts that get the parameters (HERALD_UTM_HOSTS; a host also covers its subdomains). Empty: no link does. */
  hosts: readonly string[];
  /** The channel: `email`, or a social network's name. */
  medium: string;
  /** Names the edition (or post) the link came from. */
  campaign: string;
}

const ownSite = (host: string, hosts: readonly string[]) =>
  hosts.some((own) => host === own.toLowerCase() || host.endsWith(`.${own.toLowerCase()}`));

/** The URL with utm_source=herald, utm_medium and utm_campaign when it points at an own host; parameters the link already has win. */
export function withUtm(url: string, settings: UtmSettings): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!/^https?:$/.test(parsed.protocol) || !ownSite(parsed.hostname.toLowerCase(), settings.hosts)) return url;
  const wanted = { utm_source: 'herald', utm_medium: settings.medium, utm_campaign: settings.campaign };
  for (const [name, value] of Object.entries(wanted)) if (value && !parsed.searchParams.has(name)) parsed.searchParams.set(name, value);
  return parsed.href;
}

/** utm_campaign for an edition: its subject as a short slug ("city-council-votes-on-budget"). */
export function campaignName(subject: string): string {
  return subject.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60).replace(/-$/, '') || 'edition';
}
