// How a batch run holds claimed readers for their provider group's turn: a throttled group's readers go back, a
// capped or rate-limited group keeps only what it can take within the hold, and other groups start at once.
import { describe, expect, it } from 'vitest';
import { ProviderPacer } from '../../../src/email/pacing/provider-pacer.js';
import { WaitingRoom } from '../../../src/email/pacing/waiting-room.js';

const clock = { at: 5_000_000, now() { return this.at; } };
const limits = { gmail: { connections: 2, ratePerSecond: 0 }, yahoo: { connections: 0, ratePerSecond: 2 }, other: { connections: 0, ratePerSecond: 0 } };
const pacer = () => new ProviderPacer({ limits: (g) => limits[g as keyof typeof limits] ?? limits.other, rampEveryMs: 1000, clock });

describe('WaitingRoom', () => {
  it('starts other groups at once while a throttled group waits, and sends its readers back', () => {
    const p = pacer();
    p.finished(p.start('gmail'), clock.now() + 30_000);
    const room = new WaitingRoom<string>(p, 1000);
    for (const [row, group] of [['g1', 'gmail'], ['o1', 'other'], ['g2', 'gmail'], ['o2', 'other']]) room.add(row, group);
    expect(room.fullGroups()).toEqual(new Set(['gmail']));
    expect(room.shed().map((w) => w.row)).toEqual(['g1', 'g2']);
    expect(room.startable(10).map((w) => w.row)).toEqual(['o1', 'o2']);
    expect(room.size).toBe(0);
  });

  it('keeps only what a capped or rate-limited group can take within the hold, in claim order', () => {
    const p = pacer();
    const room = new WaitingRoom<string>(p, 1000);
    for (let i = 1; i <= 4; i++) room.add(`g${i}`, 'gmail');
    for (let i = 1; i <= 5; i++) room.add(`y${i}`, 'yahoo');
    // gmail: two connections; yahoo: 2 a second, so three within a second (one now, then every 500 ms).
    expect(room.shed().map((w) => w.row)).toEqual(['g3', 'g4', 'y4', 'y5']);
    expect(room.fullGroups()).toEqual(new Set(['gmail', 'yahoo']));
    const started = room.startable(10);
    expect(started.map((w) => w.row)).toEqual(['g1', 'g2', 'y1']);
    expect(room.nextTurnMs()).toBe(500);
    clock.at += 500;
    expect(room.startable(10).map((w) => w.row)).toEqual(['y2']);
    // A gmail slot frees: the group has room again.
    p.finished(started[0].ticket);
    expect(p.waitMs('gmail')).toBe(0);
  });
});
