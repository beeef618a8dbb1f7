// Where click counts wait in Redis until the flush moves them to the database: two hashes under the queue prefix.

/** Hash fields `dispatch:position:h|m` (per link) and `dispatch:delivery:h|m` (per delivery, attribution on only). */
export interface ClickKeys {
  links: string;
  deliveries: string;
  flushLock: string;
}

export const clickKeys = (redisPrefix: string): ClickKeys => ({
  links: `${redisPrefix}:clicks:links`,
  deliveries: `${redisPrefix}:clicks:deliveries`,
  flushLock: `${redisPrefix}:clicks:flush-lock`,
});

export const counterField = (dispatchId: number, id: number, machine: boolean) => `${dispatchId}:${id}:${machine ? 'm' : 'h'}`;

/** A counter field read back: undefined for anything this version did not write. */
export function parseCounterField(field: string): { dispatchId: number; id: number; machine: boolean } | undefined {
  const match = /^(\d+):(\d+):([hm])$/.exec(field);
  return match ? { dispatchId: Number(match[1]), id: Number(match[2]), machine: match[3] === 'm' } : undefined;
}
