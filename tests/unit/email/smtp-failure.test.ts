// How SMTP errors (as nodemailer reports them) are classified.
import { describe, expect, it } from 'vitest';
import type { RateLimited } from '../../../src/delivery/failure.js';
import { classifySmtpError } from '../../../src/email/smtp-failure.js';

describe('classifySmtpError', () => {
  it('makes 5xx replies permanent', () => {
    const failure = classifySmtpError({ responseCode: 550, response: '550 5.1.1 No such user', command: 'RCPT TO' });
    expect(failure).toMatchObject({ kind: 'permanent', code: 'smtp_550', response: '550 5.1.1 No such user' });
  });

  it('makes 421, 450 and 451 throttling, with a reset time', () => {
    for (const code of [421, 450, 451]) {
      const failure = classifySmtpError({ responseCode: code, response: `${code} slow down` }, 5000);
      expect(failure.kind).toBe('rate_limited');
      expect((failure as RateLimited).resetAt.getTime()).toBeGreaterThan(Date.now() + 4000);
    }
  });

  it('makes other 4xx replies transient', () => {
    expect(classifySmtpError({ responseCode: 452, response: '452 mailbox full' }).kind).toBe('transient');
  });

  it('treats a failure before any message data as transient', () => {
    expect(classifySmtpError({ code: 'ECONNREFUSED', command: 'CONN' }).kind).toBe('transient');
    expect(classifySmtpError({ code: 'EAUTH', command: 'AUTH PLAIN' }).kind).toBe('transient');
  });

  it('treats a connection lost during or after DATA as of unknown outcome', () => {
    expect(classifySmtpError({ code: 'ECONNECTION', command: 'DATA' }).kind).toBe('uncertain');
    // What nodemailer reports when the server drops the connection instead of answering DATA.
    expect(classifySmtpError({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' }).kind).toBe('uncertain');
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'Reached maximum number of retries after connection was closed' }).kind).toBe('uncertain');
  });
});
