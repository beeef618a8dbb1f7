// Which IP addresses an outbound fetch may connect to: public unicast only, unless the operator allowed a host, an
// address or a range (HERALD_FETCH_ALLOW_HOSTS). Pure: no I/O, so every range can be tested without a network.
import { isIP } from 'node:net';

interface Range {
  bits: bigint;
  prefix: number;
  /** 4 or 6: the width the range is written in. */
  family: 4 | 6;
  why: string;
}

/** Ranges no content URL may reach: the newsroom's own network, the machine itself, and addresses that route nowhere. */
const FORBIDDEN_V4: [string, string][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];

const FORBIDDEN_V6: [string, string][] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

/**
 * IPv6 forms that carry an IPv4 address inside them: the embedded address is judged as IPv4, so `::ffff:127.0.0.1`,
 * `64:ff9b::a00:1` (NAT64) or `2002:7f00:1::` (6to4) are loopback and private like the address they wrap.
 */
const EMBEDDING_V6: { range: string; offsetBits: number }[] = [
  { range: '::ffff:0:0/96', offsetBits: 96 }, // IPv4-mapped
  { range: '::/96', offsetBits: 96 }, // IPv4-compatible (deprecated)
  { range: '64:ff9b::/96', offsetBits: 96 }, // NAT64 well-known prefix
  { range: '64:ff9b:1::/48', offsetBits: 96 }, // NAT64 local-use prefix
  { range: '2002::/16', offsetBits: 16 }, // 6to4
  { range: '::ffff:0:0:0/96', offsetBits: 96 }, // IPv4-translated
];

function v4ToBits(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBits(address: string): bigint {
  let text = address.toLowerCase().replace(/%.*$/, ''); // zone id
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4ToBits(dotted[1]);
    text = text.slice(0, -dotted[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group || '0', 16)), 0n);
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a full-length prefix). Throws on anything else. */
export function parseRange(text: string, why = 'allowed'): Range {
  const [address, prefixText] = text.trim().split('/') as [string, string | undefined];
  const family = isIP(address);
  if (family !== 4 && family !== 6) throw new Error(`${text} is not an IP address or CIDR range`);
  const width = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) throw new Error(`${text} has a bad prefix length`);
  const bits = family === 4 ? v4ToBits(address) : v6ToBits(address);
  return { bits, prefix, family, why };
}

function inRange(bits: bigint, width: number, range: Range): boolean {
  const shift = BigInt(width - range.prefix);
  return bits >> shift === range.bits >> shift;
}

const forbiddenV4 = FORBIDDEN_V4.map(([r, why]) => parseRange(r, why));
const forbiddenV6 = FORBIDDEN_V6.map(([r, why]) => parseRange(r, why));
const embeddingV6 = EMBEDDING_V6.map((e) => ({ range: parseRange(e.range), offsetBits: e.offsetBits }));

/** Why an address must not be fetched from (`loopback`, `private`, …), or undefined for a public unicast address. */
export function forbiddenReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return forbiddenV4.find((r) => inRange(v4ToBits(address), 32, r))?.why;
  if (family !== 6) return 'not an IP address';
  const bits = v6ToBits(address);
  const own = forbiddenV6.find((r) => inRange(bits, 128, r))?.why;
  if (own) return own;
  for (const { range, offsetBits } of embeddingV6) {
    if (!inRange(bits, 128, range)) continue;
    const v4 = (bits >> BigInt(128 - offsetBits - 32)) & 0xffffffffn;
    const inner = forbiddenV4.find((r) => inRange(v4, 32, r))?.why;
    if (inner) return `${inner} (inside an IPv6 address)`;
  }
  return undefined;
}

/** The operator's exceptions: host names, addresses and ranges that may be fetched although they are private. */
export class AllowList {
  private readonly hosts = new Set<string>();
  private readonly ranges: Range[] = [];

  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
      if (!entry) continue;
      if (isIP(entry.split('/')[0]!)) this.ranges.push(parseRange(entry));
      else this.hosts.add(entry.replace(/\.$/, ''));
    }
  }

  get empty(): boolean {
    return this.hosts.size === 0 && this.ranges.length === 0;
  }

  allowsHost(hostname: string): boolean {
    return this.hosts.has(hostname.toLowerCase().replace(/\.$/, ''));
  }

  allowsAddress(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    const bits = family === 4 ? v4ToBits(address) : v6ToBits(address);
    return this.ranges.some((r) => r.family === family && inRange(bits, family === 4 ? 32 : 128, r));
  }
}

/** Validates one HERALD_FETCH_ALLOW_HOSTS entry; the message names what is wrong. */
export function allowEntryProblem(entry: string): string | undefined {
  const value = entry.trim().replace(/^\[|\]$/g, '');
  if (isIP(value.split('/')[0]!)) {
    try {
      parseRange(value);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
  return /^[a-z0-9.-]+$/i.test(value) ? undefined : `${entry} is not a host name, IP address or CIDR range`;
}
