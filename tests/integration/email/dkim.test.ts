// DKIM: with a key configured, every edition is signed, and the signature covers both list headers (RFC 8058 §4).
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const READERS = ['reader@example.com', 'second@example.com', 'third@example.com'];
let smtp: SmtpSink;
let herald: TestHerald;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Herald <news@herald.example>',
      DKIM_DOMAIN: 'herald.example',
      DKIM_SELECTOR: 'mail2026',
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
  });
  for (const email of READERS) await herald.api('/api/subscribers', { body: { email } });
  await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } });
  await smtp.waitForMessages(READERS.length);
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

/** Relaxed header canonicalisation (RFC 6376 §3.4.2). */
const relaxed = (name: string, value: string) =>
  `${name.toLowerCase()}:${value.replace(/\r\n[ \t]+/g, ' ').replace(/[ \t]+/g, ' ').trim()}`;

it('signs every message of the edition with a DKIM-Signature that covers both list headers and verifies', () => {
  expect(smtp.messages.flatMap((m) => m.envelopeTo).sort()).toEqual([...READERS].sort());
  for (const message of smtp.messages) verifyDkim(message.raw.toString('latin1'));
});

function verifyDkim(raw: string): void {
  const [head, ...bodyParts] = raw.split('\r\n\r\n');
  const body = bodyParts.join('\r\n\r\n');
  const headers = head.split(/\r\n(?![ \t])/).map((line) => {
    const colon = line.indexOf(':');
    return { name: line.slice(0, colon), value: line.slice(colon + 1) };
  });
  const signature = headers.find((h) => h.name.toLowerCase() === 'dkim-signature')!;
  expect(signature).toBeDefined();
  const tags = Object.fromEntries(
    signature.value.replace(/\s+/g, '').split(';').filter(Boolean).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  );
  expect(tags).toMatchObject({ d: 'herald.example', s: 'mail2026', a: 'rsa-sha256' });
  const signed = tags.h.toLowerCase().split(':');
  expect(signed).toEqual(expect.arrayContaining(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id']));

  // Body hash (relaxed body canonicalisation) and the signature itself, checked with the public key.
  const canonicalBody = body.replace(/[ \t]+\r\n/g, '\r\n').replace(/[ \t]+/g, ' ').replace(/(\r\n)*$/, '\r\n');
  expect(createHash('sha256').update(canonicalBody, 'latin1').digest('base64')).toBe(tags.bh);
  const signedHeaders = signed.map((name: string) => {
    const header = headers.find((h) => h.name.toLowerCase() === name)!;
    return relaxed(header.name, header.value);
  });
  const unsignedSignature = relaxed('DKIM-Signature', signature.value).replace(/b=[^;]*$/, 'b=');
  const data = [...signedHeaders, unsignedSignature].join('\r\n');
  expect(verify('sha256', Buffer.from(data, 'latin1'), publicKey, Buffer.from(tags.b, 'base64'))).toBe(true);
}
