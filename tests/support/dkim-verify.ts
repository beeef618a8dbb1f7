// A DKIM verifier for tests (RFC 6376, relaxed/relaxed; rsa-sha256 and ed25519-sha256 of RFC 8463), written from the
// RFC independently of Herald's signer: checks a message as it arrived at the SMTP server against the public key.
import { createHash, verify, type KeyObject } from 'node:crypto';

export interface DkimVerdict {
  /** The DKIM-Signature's tags (d, s, a, h, bh, b …), whitespace removed. */
  tags: Record<string, string>;
  /** The `bh=` matches the body as it arrived. */
  bodyHashMatches: boolean;
  /** The `b=` verifies with the public key over the signed headers. */
  signatureVerifies: boolean;
  /** How many DKIM-Signature headers the message carries. */
  signatures: number;
}

/** Relaxed header canonicalisation (§3.4.2). */
const relaxedHeader = (name: string, value: string) =>
  `${name.toLowerCase()}:${value.replace(/\r\n[ \t]+/g, ' ').replace(/[ \t]+/g, ' ').trim()}`;

/** Relaxed body canonicalisation (§3.4.4), the way the RFC states it. */
const relaxedBody = (body: string) => {
  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
};

export function verifyDkim(raw: Buffer, publicKey: KeyObject): DkimVerdict {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split);
  const body = text.slice(split + 4);
  const headers = head.split(/\r\n(?![ \t])/).map((line) => {
    const colon = line.indexOf(':');
    return { name: line.slice(0, colon), value: line.slice(colon + 1) };
  });
  const signatures = headers.filter((h) => h.name.toLowerCase() === 'dkim-signature');
  const signature = signatures[0];
  if (!signature) return { tags: {}, bodyHashMatches: false, signatureVerifies: false, signatures: 0 };
  const tags: Record<string, string> = Object.fromEntries(
    signature.value.replace(/\s+/g, '').split(';').filter(Boolean).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  );
  const bodyHashMatches = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64') === tags.bh;

  // Each signed name takes its instances from the bottom up (§5.4.2); the DKIM-Signature itself comes last, b= empty.
  const remaining = [...headers];
  const signedLines = (tags.h ?? '').split(':').flatMap((name) => {
    for (let i = remaining.length - 1; i >= 0; i--) {
      if (remaining[i].name.trim().toLowerCase() === name.trim().toLowerCase()) {
        const [h] = remaining.splice(i, 1);
        return [relaxedHeader(h.name.trim(), h.value)];
      }
    }
    return [];
  });
  const unsignedSignature = relaxedHeader('DKIM-Signature', signature.value).replace(/(;\s*b=)[^;]*/, '$1');
  const data = Buffer.from([...signedLines, unsignedSignature].join('\r\n'), 'latin1');
  const b = Buffer.from(tags.b ?? '', 'base64');
  const signatureVerifies = tags.a === 'ed25519-sha256'
    ? verify(null, createHash('sha256').update(data).digest(), publicKey, b)
    : tags.a === 'rsa-sha256' && verify('sha256', data, publicKey, b);
  return { tags, bodyHashMatches, signatureVerifies, signatures: signatures.length };
}
