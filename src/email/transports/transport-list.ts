// EMAIL_TRANSPORTS read: `ses,smtp` is a failover order (the first healthy one sends), `ses:80,postmark:20` splits
// traffic by weight among the healthy ones. Known names, each once; shares on every entry or on none.
import { z } from 'zod';
import { TRANSPORT_NAMES, type TransportName } from './registry.js';

export interface TransportRoute {
  name: TransportName;
  /** Its weight when traffic is split (`ses:80`); undefined in a failover order. */
  share?: number;
}

const ENTRY = /^([a-z0-9_-]+)\s*(?::(.*))?$/i;
const SHARE = /^\d{1,5}$/;
const EXAMPLE = 'as in ses,smtp (failover order) or ses:80,postmark:20 (shares)';

export const transportListSetting = z.string().transform((value, ctx): [TransportRoute, ...TransportRoute[]] => {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  const routes: TransportRoute[] = [];
  for (const entry of entries) {
    const match = ENTRY.exec(entry);
    const name = match?.[1]?.toLowerCase();
    if (!match || !name) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not a transport entry, ${EXAMPLE}` });
      continue;
    }
    if (!(TRANSPORT_NAMES as string[]).includes(name)) {
      ctx.addIssue({ code: 'custom', message: `"${name}" is not a transport (known: ${TRANSPORT_NAMES.join(', ')})` });
      continue;
    }
    if (routes.some((r) => r.name === name)) {
      ctx.addIssue({ code: 'custom', message: `names a transport twice: ${name}` });
      continue;
    }
    const share = match[2]?.trim();
    if (share !== undefined && (!SHARE.test(share) || Number(share) < 1)) {
      ctx.addIssue({ code: 'custom', message: `"${entry}": a share is a whole number from 1 to 99999, ${EXAMPLE}` });
      continue;
    }
    routes.push({ name: name as TransportName, ...(share !== undefined ? { share: Number(share) } : {}) });
  }
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: `names no transport, ${EXAMPLE}` });
  const shared = routes.filter((r) => r.share !== undefined).length;
  if (shared !== 0 && shared !== routes.length) {
    ctx.addIssue({ code: 'custom', message: `gives some transports a share and others none: give every one a share, or none, ${EXAMPLE}` });
  }
  return routes as [TransportRoute, ...TransportRoute[]];
});
