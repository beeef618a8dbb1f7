// Which refusals say the transport itself is unusable (its breaker opens, the message may go out through another)
// and which are one message's or one reader's (the transport works): each transport's classifier decides, pure.
import { describe, expect, it } from 'vitest';
import { TransportBlocked } from '../../../src/delivery/failure.js';
import { classifySmtpError } from '../../../src/email/smtp-failure.js';
import { classifyMailgunError } from '../../../src/email/transports/mailgun.js';
import { classifyPostmarkError, PostmarkMessageError } from '../../../src/email/transports/postmark.js';
import { ProviderHttpError } from '../../../src/email/transports/provider-http.js';
import { classifySesError } from '../../../src/email/transports/ses.js';

const sesError = (name: string, status: number, message = 'refused') =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
const mailgunError = (status: number, message: string) => new ProviderHttpError('mailgun', status, new Headers(), JSON.stringify({ message }));

describe('account-level refusals', () => {
  it('SES: a suspended or paused account, an unverified MAIL FROM, refused credentials', () => {
    for (const name of ['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException']) {
      expect(classifySesError(sesError(name, 400), 1), name).toBeInstanceOf(TransportBlocked);
    }
    expect(classifySesError(sesError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.'), 1)).toBeInstanceOf(TransportBlocked);
    // One message refused (content, or a sandbox recipient), one address refused: the account still sends.
    expect(classifySesError(sesError('MessageRejected', 400), 1)).not.toBeInstanceOf(TransportBlocked);
    expect(classifySesError(sesError('BadRequestException', 400, "Missing final '@domain'"), 1)).not.toBeInstanceOf(TransportBlocked);
  });

  it('Mailgun: a refused key or a disabled domain, not a refused address', () => {
    expect(classifyMailgunError(mailgunError(403, 'Domain mg.example.org is not allowed to send'), 1)).toBeInstanceOf(TransportBlocked);
    expect(classifyMailgunError(mailgunError(401, 'Forbidden'), 1)).toBeInstanceOf(TransportBlocked);
    expect(classifyMailgunError(mailgunError(400, 'to parameter is not a valid address'), 1)).not.toBeInstanceOf(TransportBlocked);
  });

  it('Postmark: a bad token, a pending account, a missing sender signature; not an inactive recipient', () => {
    for (const code of [10, 400, 401, 405, 412]) expect(classifyPostmarkError(new PostmarkMessageError(code, 'refused'), 1), String(code)).toBeInstanceOf(TransportBlocked);
    expect(classifyPostmarkError(new PostmarkMessageError(406, 'inactive recipient'), 1)).not.toBeInstanceOf(TransportBlocked);
    expect(classifyPostmarkError(new PostmarkMessageError(300, "Invalid 'To' address: 'x'."), 1)).not.toBeInstanceOf(TransportBlocked);
  });

  it('SMTP: authentication refused; not a hard bounce or a message refused by policy', () => {
    expect(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', response: '535 5.7.8 Authentication failed' }))).toBeInstanceOf(TransportBlocked);
    expect(classifySmtpError(Object.assign(new Error('550'), { responseCode: 550, response: '550 5.1.1 No such user' }))).not.toBeInstanceOf(TransportBlocked);
    expect(classifySmtpError(Object.assign(new Error('554'), { responseCode: 554, response: '554 5.7.1 Message refused as spam' }))).not.toBeInstanceOf(TransportBlocked);
  });
});
