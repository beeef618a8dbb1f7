// The SMTP pool's DKIM signing threads, seen from the SMTP server: a thread that dies mid-edition loses and repeats no
// message (each arrives once, signed, verifying), and closing the transport ends the threads.
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderEdition } from '../../../src/email/edition-renderer.js';
import { compileMimeMessage, personalise, type CompiledMimeMessage } from '../../../src/email/mime-template.js';
import { dkimSigningFor, openSmtpPool, smtpPoolSettings } from '../../../src/email/transports/smtp.js';
import { verifyDkim } from '../../support/dkim-verify.js';
import { loadFixtureArticle } from '../../support/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const settings = smtpPoolSettings.parse({
  SMTP_POOL_SIZE: '3',
  DKIM_DOMAIN: 'herald.example',
  DKIM_SELECTOR: 'mail2026',
  DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  DKIM_SIGNING_THREADS: '2',
});
let smtp: SmtpSink;
let compiled: CompiledMimeMessage;

beforeAll(async () => {
  smtp = await startSmtpSink();
  const edition = await renderEdition(loadFixtureArticle('unicode-article'), {
    listName: 'Herald', postalAddress: 'Herald, 1 Example Street', viewInBrowserUrl: 'https://herald.example/editions/1',
  });
  compiled = compileMimeMessage(edition, { from: 'Herald <news@herald.example>', listId: 'daily.herald.example', listName: 'Herald Daily' });
});
afterAll(async () => {
  await smtp?.close();
});

const mailFor = (i: number) => ({
  raw: personalise(compiled, {
    address: `reader${i}@example.com`, name: `Zoë ${i}`, messageId: `m${i}@herald.example`,
    unsubscribeUrl: `https://herald.example/unsubscribe/${i}`, preferencesUrl: `https://herald.example/preferences/${i}`,
  }),
  envelope: { from: 'news@herald.example', to: `reader${i}@example.com` },
});

it('hands the messages of a signing thread that dies to another: each arrives once, signed, and verifies', async () => {
  const signing = dkimSigningFor(settings)!;
  const pool = openSmtpPool(smtp.url, settings, signing);
  try {
    const count = 120;
    const sends = Array.from({ length: count }, (_, i) => pool.send(mailFor(i)));
    const threads = signing.runningThreads();
    expect(threads).toHaveLength(2);
    // Ended while it still holds its share of the messages: it has not even finished starting.
    await threads[0].terminate();
    const results = await Promise.allSettled(sends);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    await smtp.waitForMessages(count);
    for (let i = 0; i < count; i++) expect(smtp.countFor(`reader${i}@example.com`)).toBe(1);
    for (const message of smtp.messages) {
      expect(verifyDkim(message.raw, publicKey)).toMatchObject({ signatures: 1, bodyHashMatches: true, signatureVerifies: true });
    }
  } finally {
    await pool.close();
  }
});

it('ends its signing threads when the transport closes, and signs nothing after', async () => {
  const signing = dkimSigningFor(settings)!;
  const pool = openSmtpPool(smtp.url, settings, signing);
  const sent = smtp.messages.length;
  await Promise.all([pool.send(mailFor(1000)), pool.send(mailFor(1001))]);
  const exits = signing.runningThreads().map((thread) => once(thread, 'exit'));
  expect(exits.length).toBeGreaterThan(0);

  await pool.close();
  await Promise.all(exits);
  expect(signing.runningThreads()).toEqual([]);
  await expect(pool.send(mailFor(1002))).rejects.toMatchObject({ kind: 'transient', code: 'dkim_closed' });
  expect(smtp.messages.length - sent).toBe(2);
});
