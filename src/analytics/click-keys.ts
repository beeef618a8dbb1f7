// Where click and open counts wait in Redis until the flush moves them to the database: hashes under the queue prefix.

/**
 * Hash fields `dispatch:position:h|m` (per link), `dispatch:delivery:h|m` (per delivery, attribution on only),
 * `dispatch:bucket:h|m` (clicks per five minutes), `dispatch:0:h|m` (opens per edition).
 */
export interface ClickKeys {
  links: string;
  deliveries: string;
  buckets: string;
  opens: string;
  deliveryOpens: string;
  flushLock: string;
}

export const clickKeys = (redisPrefix: string): ClickKeys => ({
  links: `${redisPrefix}:clicks:links`,
  deliveries: `${redisPrefix}:clicks:deliveries`,
  buckets: `${redisPrefix}:clicks:buckets`,
  opens: `${redisPrefix}:opens:editions`,
  deliveryOpens: `${redisPrefix}:opens:deliveries`,
  flushLock: `${redisPrefix}:clicks:flush-lock`,
});

/** Clicks are bucketed by five minutes for the report's "clicks over time". */
export const BUCKET_MINUTES = 5;

/** The bucket of a moment: minutes since the epoch, rounded down to BUCKET_MINUTES. */
export const bucketOf = (at: Date) => Math.floor(at.getTime() / (BUCKET_MINUTES * 60_000)) * BUCKET_MINUTES;

export const counterField = (dispatchId: number, id: number, machine: boolean) => `${dispatchId}:${id}:${machine ? 'm' : 'h'}`;

/** A counter field read back: undefined for anything this version did not write. */
export function parseCounterField(field: string): { dispatchId: number; id: number; machine: boolean } | undefined {
  const match = /^(\d+):(\d+):([hm])$/.exec(field);
  return match ? { dispatchId: Number(match[1]), id: Number(match[2]), machine: match[3] === 'm' } : undefined;
}
