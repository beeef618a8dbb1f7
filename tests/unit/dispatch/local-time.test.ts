// Waves of "07:00 in each reader's zone": the right UTC instant per zone, on one calendar date, across DST changes.
import { describe, expect, it } from 'vitest';
import { localTimeInput, movedWaveInstant, planDigestWaves, planWaves, timeZoneInput } from '../../../src/dispatch/local-time.js';

const iso = (waves: { zones: string[]; fireAt: Date }[]) => waves.map((w) => [w.zones.join(','), w.fireAt.toISOString()]);

describe('planWaves', () => {
  it('fires 07:00 on one date in every zone, earliest first, across the November change in New York', () => {
    // Planned on Saturday 31 October 2026 at 12:00 UTC: Auckland's 07:00 that day has passed, so the date is
    // Sunday 1 November, the day New York leaves summer time (02:00 EDT → 01:00 EST). Berlin changed on 25 October.
    const waves = planWaves(
      ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Auckland', 'Europe/Paris', 'America/New_York'],
      '07:00',
      new Date('2026-10-31T12:00:00Z'),
    );
    expect(iso(waves)).toEqual([
      ['Pacific/Auckland', '2026-10-31T18:00:00.000Z'], // NZDT, UTC+13
      ['Asia/Tokyo', '2026-10-31T22:00:00.000Z'], // JST, UTC+9
      ['Europe/Berlin,Europe/Paris', '2026-11-01T06:00:00.000Z'], // CET again, UTC+1: one wave for both
      ['America/New_York', '2026-11-01T12:00:00.000Z'], // EST, UTC−5 (it was EDT, UTC−4, until 06:00 UTC)
    ]);
  });

  it('takes the same date for everyone once the first wave is still ahead', () => {
    // 05:00 UTC on 1 November: Auckland's 07:00 on 1 November was at 18:00 UTC the day before, so 2 November it is.
    const waves = planWaves(['Pacific/Auckland', 'Europe/London'], '07:00', new Date('2026-11-01T05:00:00Z'));
    expect(iso(waves)).toEqual([
      ['Pacific/Auckland', '2026-11-01T18:00:00.000Z'],
      ['Europe/London', '2026-11-02T07:00:00.000Z'],
    ]);
    // Never more than ~26 h from the first wave to the last, even across the date line.
    const wide = planWaves(['Pacific/Kiritimati', 'Pacific/Pago_Pago'], '07:00', new Date('2026-06-01T00:00:00Z'));
    expect(wide.at(-1)!.fireAt.getTime() - wide[0].fireAt.getTime()).toBe(25 * 3600_000);
  });

  it('moves a time the spring change skips forward, and takes the first of one that happens twice', () => {
    // New York, 8 March 2026: 02:30 never happens (02:00 → 03:00 EDT); it means 03:30 EDT = 07:30 UTC.
    expect(iso(planWaves(['America/New_York'], '02:30', new Date('2026-03-08T00:00:00Z')))).toEqual([
      ['America/New_York', '2026-03-08T07:30:00.000Z'],
    ]);
    // 1 November 2026: 01:30 happens twice (EDT, then EST); the first, 05:30 UTC.
    expect(iso(planWaves(['America/New_York'], '01:30', new Date('2026-11-01T00:00:00Z')))).toEqual([
      ['America/New_York', '2026-11-01T05:30:00.000Z'],
    ]);
  });

  it('plans nothing for an audience without zones', () => {
    expect(planWaves([], '07:00', new Date())).toEqual([]);
  });
});

describe('movedWaveInstant', () => {
  it('keeps the wave on its calendar date in its zone', () => {
    const wave = { zones: ['America/New_York'], fireAt: new Date('2026-11-01T12:00:00Z') };
    expect(movedWaveInstant(wave, '06:00').toISOString()).toBe('2026-11-01T11:00:00.000Z');
    expect(movedWaveInstant({ zones: ['Pacific/Auckland'], fireAt: new Date('2026-10-31T18:00:00Z') }, '08:30').toISOString()).toBe('2026-10-31T19:30:00.000Z');
  });
});

describe('planDigestWaves', () => {
  it("sends at once where the run's zone's clock reads the same, elsewhere at the next DIGEST_TIME there", () => {
    const waves = planDigestWaves(['UTC', 'Europe/London', 'America/New_York', 'Asia/Tokyo', 'Europe/Berlin'], '08:00', new Date('2026-11-01T08:00:30Z'), 'UTC');
    expect(iso(waves)).toEqual([
      ['Europe/London,UTC', '2026-11-01T08:00:00.000Z'], // the 08:00 the run was for
      ['America/New_York', '2026-11-01T13:00:00.000Z'],
      ['Asia/Tokyo', '2026-11-01T23:00:00.000Z'],
      ['Europe/Berlin', '2026-11-02T07:00:00.000Z'], // its 08:00 was an hour before the run: tomorrow's
    ]);
    // Run by hand at another time: at once there.
    expect(iso(planDigestWaves(['UTC'], '08:00', new Date('2026-11-01T15:20:00Z'), 'UTC'))).toEqual([['UTC', '2026-11-01T15:20:00.000Z']]);
  });
});

describe('inputs', () => {
  it('accepts HH:MM and canonical zones, and says why otherwise', () => {
    expect(localTimeInput.parse('07:00')).toBe('07:00');
    expect(localTimeInput.safeParse('7:00').success).toBe(false);
    expect(localTimeInput.safeParse('24:00').error?.issues[0].message).toBe('must be HH:MM (24 h), e.g. 07:00');
    expect(timeZoneInput.parse('europe/berlin')).toBe('Europe/Berlin');
    expect(timeZoneInput.safeParse('Mars/Olympus_Mons').error?.issues[0].message).toBe('must be an IANA time zone such as Europe/Berlin');
  });
});
