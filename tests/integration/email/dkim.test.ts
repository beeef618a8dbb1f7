// DKIM: with a key configured, every edition is signed (in the signing threads), the signature covers both list
// headers (RFC 8058 §4), and it verifies with the public key as the message arrived, Unicode subject and names too.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { articlePayload, fixturePayload } from '../../support/articles.js';
import { verifyDkim } from '../../support/dkim-verify.js';
import { startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const READERS = [
  { email: 'reader@example.com' },
  { email: 'second@example.com', name: 'Zoë Ångström' },
  { email: 'third@example.com', name: '東京 المناخ 👨‍👩‍👧‍👦' },
];
let smtp: SmtpSink;
let herald: TestHerald;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Herald Zürich <news@herald.example>',
      DKIM_DOMAIN: 'herald.example',
      DKIM_SELECTOR: 'mail2026',
      // On one line, its line breaks written \n, as an env file carries it.
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n'),
      DKIM_SIGNING_THREADS: '2',
    },
  });
  for (const reader of READERS) await herald.api('/api/subscribers', { body: { ...reader, status: 'confirmed' } });
  await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } });
  await herald.api('/api/articles', { body: { ...fixturePayload('unicode-article'), channels: ['email'] } });
  await smtp.waitForMessages(2 * READERS.length);
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

it('signs every message of both editions once, covering both list headers, and each verifies as it arrived', () => {
  expect(smtp.messages.flatMap((m) => m.envelopeTo).sort()).toEqual(READERS.flatMap((r) => [r.email, r.email]).sort());
  expect(smtp.messages.filter((m) => m.parsed.subject?.includes('東京で開かれた気候サミット 🌍'))).toHaveLength(READERS.length);
  for (const message of smtp.messages) {
    const verdict = verifyDkim(message.raw, publicKey);
    expect(verdict.signatures).toBe(1);
    expect(verdict.tags).toMatchObject({ d: 'herald.example', s: 'mail2026', a: 'rsa-sha256', c: 'relaxed/relaxed' });
    expect(verdict.tags.h.split(':')).toEqual(expect.arrayContaining(['from', 'subject', 'to', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id']));
    expect(verdict).toMatchObject({ bodyHashMatches: true, signatureVerifies: true });
  }
});
