// The DKIM-Signature Herald writes: the very header nodemailer's signer wrote before it (same canonicalisation, same
// tags, same signature), for every fixture edition; RFC 6376's own canonicalisation example; Ed25519 (RFC 8463).
import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import DKIM from 'nodemailer/lib/dkim';
import { describe, expect, it } from 'vitest';
import { dkimSignatureHeader, dkimSigner, relaxedBody } from '../../../src/email/dkim/dkim-signature.js';
import { renderEdition } from '../../../src/email/edition-renderer.js';
import { compileMimeMessage, personalise } from '../../../src/email/mime-template.js';
import { verifyDkim } from '../../support/dkim-verify.js';
import { loadFixtureArticle, type FixtureArticleName } from '../../support/fixtures.js';

const HEADER_NAMES = 'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:' +
  'Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Unsubscribe-Post';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const identity = { domain: 'herald.example', selector: 'mail2026', privateKeyPem: pem, headerNames: HEADER_NAMES };

async function message(fixture: FixtureArticleName): Promise<Buffer> {
  const edition = await renderEdition(loadFixtureArticle(fixture), {
    listName: 'Herald Zürich', postalAddress: 'Herald, 1 Example Street', viewInBrowserUrl: 'https://herald.example/editions/1',
  });
  const compiled = compileMimeMessage(edition, { from: '"Ħerald Zürich" <news@herald.example>', listId: 'daily.herald.example', listName: 'Ünicode Daily' });
  return personalise(compiled, {
    address: 'reader@exämple.com', name: '東京 Zoë 👨‍👩‍👧‍👦', messageId: 'abc.1@herald.example',
    unsubscribeUrl: 'https://herald.example/unsubscribe/abc', preferencesUrl: 'https://herald.example/preferences/abc',
  });
}

/** What nodemailer's `dkim` option put in front of the same message. */
async function nodemailerSignature(raw: Buffer): Promise<string> {
  const signer = new DKIM({ domainName: identity.domain, keySelector: identity.selector, privateKey: pem, headerFieldNames: HEADER_NAMES } as never);
  const chunks: Buffer[] = [];
  const signed = (signer as unknown as { sign(input: Buffer): PassThrough }).sign(raw);
  for await (const chunk of signed) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1').split(/\r\n(?![ \t])/)[0];
}

describe.each(['seed-article', 'unicode-article', 'hostile-article', 'long-article'] as const)('the %s edition', (fixture) => {
  it('gets the DKIM-Signature nodemailer wrote, which verifies with the public key', async () => {
    const raw = await message(fixture);
    const header = dkimSignatureHeader(raw, dkimSigner(identity));
    expect(header).toBe(await nodemailerSignature(raw));
    expect(header.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    const verdict = verifyDkim(Buffer.concat([Buffer.from(`${header}\r\n`, 'latin1'), raw]), rsa.publicKey);
    expect(verdict).toMatchObject({ bodyHashMatches: true, signatureVerifies: true, signatures: 1 });
  });
});

it('canonicalises a body as RFC 6376 §3.4.6 does, and leaves an empty one empty', () => {
  expect(relaxedBody(' C \r\nD \t E\r\n\r\n\r\n')).toBe(' C\r\nD E\r\n');
  expect(relaxedBody('line\nbare LF  \r\n\r\n')).toBe('line\r\nbare LF\r\n');
  expect(relaxedBody('no final CRLF \t')).toBe('no final CRLF\r\n');
  expect(relaxedBody('\r\n\r\n')).toBe('');
});

it('signs with an Ed25519 key as ed25519-sha256 (RFC 8463), its key read from a one-line PEM', async () => {
  const ed = generateKeyPairSync('ed25519');
  const oneLine = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
  const raw = await message('unicode-article');
  const header = dkimSignatureHeader(raw, dkimSigner({ ...identity, privateKeyPem: oneLine }));
  const verdict = verifyDkim(Buffer.concat([Buffer.from(`${header}\r\n`, 'latin1'), raw]), ed.publicKey);
  expect(verdict.tags.a).toBe('ed25519-sha256');
  expect(verdict).toMatchObject({ bodyHashMatches: true, signatureVerifies: true });
});

it('refuses a key DKIM cannot sign with, saying why', () => {
  expect(() => dkimSigner({ ...identity, privateKeyPem: 'not a key' })).toThrow(/DKIM_PRIVATE_KEY is not a PEM private key/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  expect(() => dkimSigner({ ...identity, privateKeyPem: ec })).toThrow(/is a ec key; DKIM signs with RSA or Ed25519/);
});
