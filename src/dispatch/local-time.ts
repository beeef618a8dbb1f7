// "At 07:00 in each reader's zone", pure: which instant that is per zone, and the waves that group zones sharing one.
import { z } from 'zod';
import { isTimeZone, resolveScheduledTime } from './schedule.js';

/** A wall-clock time of day, 24 h: what an editor asks for ("07:00"). */
export const localTimeInput = z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be HH:MM (24 h), e.g. 07:00' });

/** An IANA zone as a reader or an import gives it. */
export const timeZoneInput = z
  .string()
  .trim()
  .max(64)
  .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' })
  // Stored as Intl names it (europe/berlin → Europe/Berlin, Asia/Kolkata → ICU's Asia/Calcutta), so one zone is one wave.
  .transform((zone) => new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone);

export interface PlannedWave {
  /** The zones whose readers this wave mails, sorted. */
  zones: string[];
  fireAt: Date;
}

const DAY_MS = 86_400_000;

/** The calendar date (YYYY-MM-DD) an instant falls on in UTC. */
function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `localTime` on `date` in `zone`, DST-correct (a skipped time moves forward, a repeated one is its first). */
export function localInstant(date: string, localTime: string, zone: string): Date {
  return resolveScheduledTime(`${date}T${localTime}:00`, zone);
}

/**
 * The waves of a local-time dispatch. Every zone gets `localTime` on one calendar date: the first date on which the
 * zone furthest ahead (the first wave) is not before `notBefore`. So everyone reads the same day's edition, and the
 * waves span at most ~26 h (UTC+14 to UTC−12). Zones whose instants coincide share a wave.
 */
export function planWaves(zones: readonly string[], localTime: string, notBefore: Date): PlannedWave[] {
  const unique = [...new Set(zones)];
  if (unique.length === 0) return [];
  // The day before notBefore's UTC date is early enough for any zone (none is more than a day ahead of UTC).
  let day = Date.parse(`${utcDate(notBefore.getTime())}T00:00:00Z`) - DAY_MS;
  let instants: { zone: string; at: Date }[];
  for (;;) {
    const date = utcDate(day);
    instants = unique.map((zone) => ({ zone, at: localInstant(date, localTime, zone) }));
    if (Math.min(...instants.map((i) => i.at.getTime())) >= notBefore.getTime()) break;
    day += DAY_MS;
  }
  const byInstant = new Map<number, string[]>();
  for (const { zone, at } of instants) byInstant.set(at.getTime(), [...(byInstant.get(at.getTime()) ?? []), zone]);
  return [...byInstant.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, waveZones]) => ({ zones: waveZones.sort(), fireAt: new Date(at) }));
}

/** A wave moved to another local time: the same calendar date in its zones (the first zone decides the date). */
export function movedWaveInstant(wave: { zones: readonly string[]; fireAt: Date }, localTime: string): Date {
  const zone = wave.zones[0];
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(wave.fireAt);
  return localInstant(date, localTime, zone);
}

/** A digest run that fires a little late still counts as on time in a zone whose DIGEST_TIME it was meant for. */
const DIGEST_GRACE_MS = 10 * 60_000;

/** The UTC offset (ms) a zone has at an instant. */
function offsetAt(zone: string, at: Date): number {
  const wall = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(at);
  const [date, time] = wall.split(', ');
  return Date.parse(`${date}T${time}Z`) - (at.getTime() - (at.getTime() % 1000));
}

/**
 * The waves of a digest edition, run at DIGEST_TIME in `runZone`: readers whose clocks read the same as that zone's
 * get it now (the run is their time), everyone else at the next DIGEST_TIME in their own zone (within a day).
 */
export function planDigestWaves(zones: readonly string[], localTime: string, now: Date, runZone: string): PlannedWave[] {
  const runOffset = offsetAt(runZone, now);
  const dateIn = (zone: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  // "At once" is the DIGEST_TIME the run was for, when it ran within the grace of it (a run by hand: now).
  const runFor = localInstant(dateIn(runZone), localTime, runZone).getTime();
  const atOnce = runFor <= now.getTime() && now.getTime() - runFor <= DIGEST_GRACE_MS ? runFor : now.getTime();
  const byInstant = new Map<number, string[]>();
  for (const zone of new Set(zones)) {
    let at = atOnce;
    if (offsetAt(zone, now) !== runOffset) {
      const today = dateIn(zone);
      at = localInstant(today, localTime, zone).getTime();
      if (at < now.getTime() - DIGEST_GRACE_MS) at = localInstant(utcDate(Date.parse(`${today}T00:00:00Z`) + DAY_MS), localTime, zone).getTime();
      at = Math.max(at, now.getTime());
    }
    byInstant.set(at, [...(byInstant.get(at) ?? []), zone]);
  }
  return [...byInstant.entries()].sort(([a], [b]) => a - b).map(([at, waveZones]) => ({ zones: waveZones.sort(), fireAt: new Date(at) }));
}
