// EMAIL_TRANSPORTS as config reads it: a failover order or shares by weight, each bad value refused with a reason
// naming the variable; and the rotation that splits traffic by those shares.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';
import { WeightedRotation } from '../../../src/email/transports/weighted-rotation.js';

const SET_UP = { SMTP_URL: 'smtp://127.0.0.1:2525', SES_REGION: 'eu-west-1', POSTMARK_SERVER_TOKEN: 'server-token-test' };

function problemOf(value: string): string {
  try {
    loadConfig({ EMAIL_TRANSPORTS: value, ...SET_UP });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable)).toContain('EMAIL_TRANSPORTS');
    return problems.map((p) => p.message).join('; ');
  }
  throw new Error(`${value} was accepted`);
}

describe('EMAIL_TRANSPORTS', () => {
  it('reads a failover order: no shares', () => {
    const config = loadConfig({ EMAIL_TRANSPORTS: 'ses, smtp', ...SET_UP });
    expect(config.EMAIL_TRANSPORTS).toEqual(['ses', 'smtp']);
    expect(config.EMAIL_TRANSPORT_SHARES).toBeUndefined();
    expect(config.EMAIL_BREAKER_FAILURES).toBe(5);
    expect(config.EMAIL_BREAKER_COOLDOWN_MS).toBe(30_000);
  });

  it('reads shares by weight, in the order given', () => {
    const config = loadConfig({ EMAIL_TRANSPORTS: 'ses:80, postmark : 20', ...SET_UP });
    expect(config.EMAIL_TRANSPORTS).toEqual(['ses', 'postmark']);
    expect(config.EMAIL_TRANSPORT).toBe('ses');
    expect(config.EMAIL_TRANSPORT_SHARES).toEqual({ ses: 80, postmark: 20 });
  });

  it('refuses bad values, each with its reason', () => {
    expect(problemOf('ses:80,postmark')).toMatch(/give every one a share, or none/);
    expect(problemOf('ses:0,postmark:20')).toMatch(/"ses:0": a share is a whole number from 1/);
    expect(problemOf('ses:-5,postmark:20')).toMatch(/a share is a whole number/);
    expect(problemOf('ses:8.5,postmark:20')).toMatch(/a share is a whole number/);
    expect(problemOf('ses:lots,postmark:20')).toMatch(/a share is a whole number/);
    expect(problemOf('ses:80:1,postmark:20')).toMatch(/a share is a whole number/);
    expect(problemOf('pigeon:50,ses:50')).toMatch(/"pigeon" is not a transport \(known: smtp, capture, ses, mailgun, postmark\)/);
    expect(problemOf('ses:50,ses:50')).toMatch(/names a transport twice: ses/);
    expect(problemOf(' , ')).toMatch(/names no transport/);
    expect(problemOf('ses smtp')).toMatch(/is not a transport entry/);
  });

  it('still checks every listed transport\'s own settings', () => {
    expect(() => loadConfig({ EMAIL_TRANSPORTS: 'ses:50,postmark:50', SES_REGION: 'eu-west-1' })).toThrow(/POSTMARK_SERVER_TOKEN: is required/);
    expect(() => loadConfig({ EMAIL_BREAKER_FAILURES: '0' })).toThrow(/EMAIL_BREAKER_FAILURES/);
  });
});

describe('WeightedRotation', () => {
  it('follows the weights exactly over each cycle, interleaved', () => {
    const rotation = new WeightedRotation<'ses' | 'postmark'>();
    const picks = Array.from({ length: 10 }, () => rotation.next([{ key: 'ses', weight: 80 }, { key: 'postmark', weight: 20 }]));
    expect(picks.filter((p) => p === 'ses')).toHaveLength(8);
    expect(picks.filter((p) => p === 'postmark')).toHaveLength(2);
    // Not in a burst: postmark's two are apart.
    expect(picks.indexOf('postmark')).not.toBe(picks.lastIndexOf('postmark') - 1);
  });

  it('picks among what is left when a choice drops out, and nothing from nothing', () => {
    const rotation = new WeightedRotation<'a' | 'b'>();
    expect(Array.from({ length: 3 }, () => rotation.next([{ key: 'b', weight: 1 }]))).toEqual(['b', 'b', 'b']);
    expect(rotation.next([])).toBeUndefined();
  });
});
