// Which mailbox provider a recipient's domain belongs to: by the domain itself (gmail.com, hotmail.com, …), else by
// its MX hosts (a Google Workspace domain's aspmx.l.google.com), else `other`. Pure: the MX lookup is mx-directory.ts'.

/** A provider group: the recipients one mailbox provider receives for, paced together. */
export interface ProviderGroup {
  name: string;
  /** Recipient domains, matched exactly (lower case). */
  domains: string[];
  /** MX host suffixes (`google.com` matches `alt1.aspmx.l.google.com`). */
  mxSuffixes: string[];
}

export const OTHER_GROUP = 'other';

/** The big mailbox providers, in the order they are tried; an operator's groups come before these. */
export const BUILT_IN_GROUPS: ProviderGroup[] = [
  {
    name: 'gmail',
    domains: ['gmail.com', 'googlemail.com'],
    // Workspace domains: aspmx.l.google.com and its alternates, or the newer smtp.google.com.
    mxSuffixes: ['google.com', 'googlemail.com'],
  },
  {
    name: 'outlook',
    domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'hotmail.it',
      'hotmail.es', 'live.co.uk', 'live.fr', 'live.de', 'outlook.de', 'outlook.fr'],
    // Microsoft 365 tenants (*.mail.protection.outlook.com) and consumer mail (*.olc.protection.outlook.com).
    mxSuffixes: ['protection.outlook.com'],
  },
  {
    name: 'yahoo',
    domains: ['yahoo.com', 'ymail.com', 'rocketmail.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.it', 'yahoo.es',
      'yahoo.co.jp', 'yahoo.com.br', 'aol.com', 'aim.com'],
    // Yahoo's and AOL's inbound MX are both under yahoodns.net.
    mxSuffixes: ['yahoodns.net'],
  },
  {
    name: 'icloud',
    domains: ['icloud.com', 'me.com', 'mac.com'],
    mxSuffixes: ['mail.icloud.com'],
  },
];

export const BUILT_IN_GROUP_NAMES = [...BUILT_IN_GROUPS.map((g) => g.name), OTHER_GROUP];

const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Reads EMAIL_PROVIDER_GROUPS: `name=domain|domain|mx:suffix, name2=…`. A domain is matched exactly, `mx:` names a
 * suffix of its MX hosts. Throws a message per bad entry (config turns it into a setting problem).
 */
export function parseProviderGroups(value: string): ProviderGroup[] {
  const groups: ProviderGroup[] = [];
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [rawName, rawItems, ...rest] = entry.split('=');
    const name = rawName.trim().toLowerCase();
    if (rest.length > 0 || rawItems === undefined) throw new Error(`"${entry}" is not name=domain|domain`);
    if (!GROUP_NAME.test(name)) throw new Error(`"${name}" is not a group name (a-z, 0-9, - and _)`);
    if (name === OTHER_GROUP) throw new Error(`"${OTHER_GROUP}" is the group of every domain no group names`);
    if (groups.some((g) => g.name === name)) throw new Error(`"${name}" is named twice`);
    const group: ProviderGroup = { name, domains: [], mxSuffixes: [] };
    for (const raw of rawItems.split('|').map((i) => i.trim().toLowerCase()).filter(Boolean)) {
      const mx = raw.startsWith('mx:');
      const item = mx ? raw.slice(3).replace(/^\*?\./, '') : raw;
      if (!DOMAIN.test(item)) throw new Error(`"${raw}" in ${name} is not a domain`);
      (mx ? group.mxSuffixes : group.domains).push(item);
    }
    if (group.domains.length + group.mxSuffixes.length === 0) throw new Error(`${name} names no domain`);
    groups.push(group);
  }
  return groups;
}

/** The lower-case domain of an address (what follows the last @). */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).trim().toLowerCase().replace(/\.$/, '');
}

/** The group that names `domain` itself, or undefined (its MX hosts may still tell). */
export function groupByDomain(domain: string, groups: ProviderGroup[]): string | undefined {
  return groups.find((g) => g.domains.includes(domain))?.name;
}

/** The group whose MX suffix matches one of `mxHosts`, the most preferred host first; undefined when none does. */
export function groupByMx(mxHosts: string[], groups: ProviderGroup[]): string | undefined {
  for (const host of mxHosts.map((h) => h.toLowerCase().replace(/\.$/, ''))) {
    const group = groups.find((g) => g.mxSuffixes.some((s) => host === s || host.endsWith(`.${s}`)));
    if (group) return group.name;
  }
  return undefined;
}

/**
 * Domains no MX lookup is made for (RFC 2606 and 6761: example.*, .test, .invalid, .localhost, .example): they never
 * take real mail, and tests and demos use them.
 */
export function isReservedDomain(domain: string): boolean {
  return /(^|\.)(example\.(com|net|org)|test|invalid|localhost|example|local)$/.test(domain) || !domain.includes('.');
}
