// The burst memory: a scanner's earlier clicks are taken back once its burst or its canary click gives it away.
import { describe, expect, it } from 'vitest';
import { ClickBursts } from '../../../src/analytics/click-bursts.js';

const sentAt = new Date('2026-12-01T10:00:00Z');
const at = (seconds: number) => sentAt.getTime() + seconds * 1000;

describe('click bursts', () => {
  it('moves the first clicks of a scan to the machine once the third link is opened', () => {
    const bursts = new ClickBursts();
    expect(bursts.observe('1.7', { at: at(1), position: 1, sentAt, canary: false })).toEqual({ machine: undefined, reclassify: [] });
    expect(bursts.observe('1.7', { at: at(1.2), position: 2, sentAt, canary: false })).toEqual({ machine: undefined, reclassify: [] });
    expect(bursts.observe('1.7', { at: at(1.4), position: 3, sentAt, canary: false })).toEqual({ machine: 'burst', reclassify: [1, 2] });
    // The rest of the scan is the machine's too, and nothing is moved twice.
    expect(bursts.observe('1.7', { at: at(1.6), position: 4, sentAt, canary: false })).toEqual({ machine: 'burst', reclassify: [] });
  });

  it('marks a message\'s clicks around a canary click as the machine\'s', () => {
    const bursts = new ClickBursts();
    bursts.observe('1.8', { at: at(600), position: 2, sentAt, canary: false });
    expect(bursts.observe('1.8', { at: at(601), position: 0, sentAt, canary: true })).toEqual({ machine: 'canary', reclassify: [2] });
  });

  it('keeps readers apart, and a reader clicking over an afternoon a person', () => {
    const bursts = new ClickBursts();
    bursts.observe('1.9', { at: at(1), position: 1, sentAt, canary: false });
    bursts.observe('1.10', { at: at(1), position: 2, sentAt, canary: false });
    expect(bursts.observe('1.11', { at: at(1), position: 3, sentAt, canary: false }).machine).toBeUndefined();
    expect(bursts.observe('1.9', { at: at(3600), position: 2, sentAt, canary: false }).machine).toBeUndefined();
    expect(bursts.observe('1.9', { at: at(7200), position: 3, sentAt, canary: false }).machine).toBeUndefined();
  });
});
