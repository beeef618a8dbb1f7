// Which provider group a recipient belongs to: by domain name, by MX hosts (Google Workspace, Microsoft 365), an
// operator's own groups first, and the MX cache (one lookup per domain for its TTL, failures kept shorter).
import { describe, expect, it } from 'vitest';
import { MxDirectory, type MxResolver } from '../../../src/email/pacing/mx-directory.js';
import { BUILT_IN_GROUPS, groupByDomain, groupByMx, parseProviderGroups } from '../../../src/email/pacing/provider-groups.js';
import { TestClock } from '../../support/clock.js';

describe('provider groups', () => {
  it('knows the big providers by their domains', () => {
    expect(['gmail.com', 'googlemail.com', 'hotmail.com', 'live.com', 'msn.com', 'outlook.com', 'yahoo.com', 'aol.com', 'icloud.com', 'me.com', 'mac.com']
      .map((d) => groupByDomain(d, BUILT_IN_GROUPS)))
      .toEqual(['gmail', 'gmail', 'outlook', 'outlook', 'outlook', 'outlook', 'yahoo', 'yahoo', 'icloud', 'icloud', 'icloud']);
    expect(groupByDomain('newsroom.example.org', BUILT_IN_GROUPS)).toBeUndefined();
  });

  it('knows hosted domains by their MX hosts, the most preferred first', () => {
    expect(groupByMx(['aspmx.l.google.com.', 'alt1.aspmx.l.google.com'], BUILT_IN_GROUPS)).toBe('gmail');
    expect(groupByMx(['smtp.google.com'], BUILT_IN_GROUPS)).toBe('gmail');
    expect(groupByMx(['contoso-com.mail.protection.outlook.com'], BUILT_IN_GROUPS)).toBe('outlook');
    expect(groupByMx(['mta7.am0.yahoodns.net'], BUILT_IN_GROUPS)).toBe('yahoo');
    expect(groupByMx(['mx01.mail.icloud.com'], BUILT_IN_GROUPS)).toBe('icloud');
    expect(groupByMx(['mx.notgoogle.com', 'mail.example.net'], BUILT_IN_GROUPS)).toBeUndefined();
  });

  it("reads an operator's groups and says what is wrong with a bad one", () => {
    expect(parseProviderGroups('gmx=gmx.de|gmx.net|web.de, mimecast=mx:mimecast.com')).toEqual([
      { name: 'gmx', domains: ['gmx.de', 'gmx.net', 'web.de'], mxSuffixes: [] },
      { name: 'mimecast', domains: [], mxSuffixes: ['mimecast.com'] },
    ]);
    expect(() => parseProviderGroups('gmx')).toThrow(/name=domain/);
    expect(() => parseProviderGroups('other=example.de')).toThrow(/every domain no group names/);
    expect(() => parseProviderGroups('gmx=not a domain')).toThrow(/not a domain/);
    expect(() => parseProviderGroups('a=a.de,a=b.de')).toThrow(/named twice/);
  });
});

describe('MxDirectory', () => {
  const lookups: string[] = [];
  const resolver: MxResolver = {
    async resolveMx(domain) {
      lookups.push(domain);
      if (domain === 'broken.org') throw Object.assign(new Error('queryMx ESERVFAIL'), { code: 'ESERVFAIL' });
      if (domain === 'workspace.org') return [{ exchange: 'alt1.aspmx.l.google.com', priority: 5 }, { exchange: 'aspmx.l.google.com', priority: 1 }];
      if (domain === 'tenant.org') return [{ exchange: 'tenant-org.mail.protection.outlook.com', priority: 0 }];
      return [{ exchange: `mx.${domain}`, priority: 10 }];
    },
  };

  it('looks a domain up once for its TTL, shares concurrent lookups and keeps a failure shorter', async () => {
    lookups.length = 0;
    const clock = new TestClock();
    clock.set('2026-12-01T12:00:00Z');
    const groups = [...parseProviderGroups('gmx=gmx.de|mx:gmx.net'), ...BUILT_IN_GROUPS];
    const directory = new MxDirectory({ groups, resolver, ttlMs: 3_600_000, failedTtlMs: 60_000, timeoutMs: 1000, clock });
    expect(await Promise.all(['a@workspace.org', 'b@WORKSPACE.org', 'c@tenant.org', 'd@gmail.com', 'e@gmx.de', 'f@small.org', 'g@broken.org', 'h@example.com']
      .map((a) => directory.groupOf(a)))).toEqual(['gmail', 'gmail', 'outlook', 'gmail', 'gmx', 'other', 'other', 'other']);
    // gmail.com and gmx.de by name, example.com reserved: no lookup; workspace.org once for two readers.
    expect(lookups.sort()).toEqual(['broken.org', 'small.org', 'tenant.org', 'workspace.org']);
    expect(directory.domainsOf(new Set(['gmail']))).toEqual(['gmail.com', 'googlemail.com', 'workspace.org']);

    clock.set('2026-12-01T12:02:00Z');
    await directory.groupOf('a@workspace.org');
    await directory.groupOf('g@broken.org');
    expect(lookups.filter((d) => d === 'workspace.org')).toHaveLength(1);
    expect(lookups.filter((d) => d === 'broken.org')).toHaveLength(2);
    clock.set('2026-12-01T13:00:01Z');
    await directory.groupOf('a@workspace.org');
    expect(lookups.filter((d) => d === 'workspace.org')).toHaveLength(2);
  });

  it('does not wait long for a resolver that never answers', async () => {
    const clock = new TestClock();
    const silent: MxResolver = { resolveMx: () => new Promise(() => {}) };
    const directory = new MxDirectory({ groups: BUILT_IN_GROUPS, resolver: silent, ttlMs: 3_600_000, timeoutMs: 50, clock });
    expect(await directory.groupOf('reader@slow-dns.org')).toBe('other');
  });
});
