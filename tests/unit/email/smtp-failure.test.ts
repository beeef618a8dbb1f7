// How SMTP errors (as nodemailer reports them) become exactly one failure of Herald's vocabulary.
import { describe, expect, it } from 'vitest';
import type { RateLimited, TransientFailure } from '../../../src/delivery/failure.js';
import { classifySmtpError } from '../../../src/email/smtp-failure.js';

describe('classifySmtpError', () => {
  it('makes a 5.1.x reply a rejected address', () => {
    const failure = classifySmtpError({ responseCode: 550, response: '550 5.1.1 No such user', command: 'RCPT TO' });
    expect(failure).toMatchObject({ kind: 'permanent_address', code: 'smtp_5.1.1', response: '550 5.1.1 No such user' });
  });

  it('makes a policy refusal (5.7.x) permanent without blaming the address', () => {
    const failure = classifySmtpError({ responseCode: 550, response: '550 5.7.1 Message rejected due to local policy' });
    expect(failure).toMatchObject({ kind: 'permanent_policy', code: 'smtp_5.7.1' });
  });

  it('makes 421 and "slow down" replies throttling, with a reset time', () => {
    for (const [code, text] of [[421, '421 4.7.0 try again later'], [451, '451 Rate limit exceeded, slow down']] as const) {
      const failure = classifySmtpError({ responseCode: code, response: text }, 5000);
      expect(failure.kind).toBe('rate_limited');
      expect((failure as RateLimited).resetAt.getTime()).toBeGreaterThan(Date.now() + 4000);
    }
  });

  it('makes other 4xx replies and a full mailbox transient soft bounces', () => {
    for (const [code, text] of [[452, '452 4.2.2 mailbox full'], [552, '552 5.2.2 user is over quota'], [450, '450 greylisted']] as const) {
      const failure = classifySmtpError({ responseCode: code, response: text });
      expect(failure.kind).toBe('transient');
      expect((failure as TransientFailure).softBounce).toBe(true);
    }
  });

  it('treats a failure before any message data as transient, and not as a soft bounce', () => {
    // nodemailer reports a refused connection as ESOCKET with the system code kept as originalCode.
    for (const error of [
      { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' },
      { code: 'ECONNREFUSED', command: 'CONN' },
      { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', command: 'CONN' },
      { code: 'ECONNECTION', command: 'RCPT TO' },
    ]) {
      const failure = classifySmtpError(error);
      expect(failure.kind).toBe('transient');
      expect((failure as TransientFailure).softBounce).toBe(false);
    }
  });

  it('makes a failed login permanent (policy), so the reputation guard can stop the send', () => {
    expect(classifySmtpError({ code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.8 bad credentials', responseCode: 535 }).kind)
      .toBe('permanent_policy');
  });

  it('treats an open session that goes silent or closes with the message in flight as of unknown outcome', () => {
    expect(classifySmtpError({ code: 'ECONNECTION', command: 'DATA' }).kind).toBe('uncertain');
    expect(classifySmtpError({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' })).toMatchObject({
      kind: 'uncertain', code: 'smtp_timeout',
    });
    // A socket closed mid-message: nodemailer names the connection, not the stage. It may have been accepted.
    expect(classifySmtpError({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' }).kind).toBe('uncertain');
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'Reached maximum number of retries after connection was closed' }).kind).toBe('uncertain');
  });
});
