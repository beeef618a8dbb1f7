// The DKIM-Signature header (RFC 6376) of one finished message: relaxed/relaxed canonicalisation, a SHA-256 body
// hash, signed with RSA (rsa-sha256) or Ed25519 (ed25519-sha256, RFC 8463). Pure CPU work, no I/O: it runs in the
// signing threads (signing-thread.ts), never on the event loop that feeds the SMTP connections.
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { foldLines } from 'nodemailer/lib/mime-funcs';

/** Who signs: what the signing threads are started with (plain data, so it crosses into a thread as it is). */
export interface DkimIdentity {
  domain: string;
  selector: string;
  /** PEM (PKCS#8 or PKCS#1); line breaks may be written `\n`, as one-line env files carry them. */
  privateKeyPem: string;
  /** Header names to sign, colon-separated, in the order `h=` lists them; absent ones are left out. */
  headerNames: string;
}

/** An identity made ready to sign: the key parsed once (parsing a PEM costs about as much as a signature). */
export interface DkimSigner {
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  domain: string;
  selector: string;
  key: KeyObject;
  headerNames: string[];
}

/** A readable private key of a type DKIM does not sign with. */
export class UnsignableKeyType extends TypeError {}

/** The private key, or a TypeError saying why it cannot sign DKIM (`herald doctor` reads keys through this too). */
export function readDkimPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem.replace(/\\n/g, '\n'));
  } catch (error) {
    throw new TypeError(`DKIM_PRIVATE_KEY is not a PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ed25519') {
    throw new UnsignableKeyType(`DKIM_PRIVATE_KEY is a ${key.asymmetricKeyType} key; DKIM signs with RSA or Ed25519`);
  }
  return key;
}

export function dkimSigner(identity: DkimIdentity): DkimSigner {
  const key = readDkimPrivateKey(identity.privateKeyPem);
  return {
    algorithm: key.asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256',
    // The tag values are written into the header as they are: nothing that could end a tag or a line gets through.
    domain: domainToASCII(identity.domain.trim()).toLowerCase() || identity.domain.replace(/[\x00-\x20\x7f;=]/g, ''),
    selector: identity.selector.replace(/[\x00-\x20\x7f;=]/g, ''),
    key,
    headerNames: identity.headerNames.split(':').map((name) => name.trim().toLowerCase()).filter(Boolean),
  };
}

const CRLF = '\r\n';

/** The complete `DKIM-Signature: …` field, folded, without its final CRLF: prepend it (and a CRLF) to `message`. */
export function dkimSignatureHeader(message: Buffer, signer: DkimSigner): string {
  const headerEnd = message.indexOf('\r\n\r\n');
  // Latin-1 maps every byte to one char and back, so canonicalising text never changes a byte it keeps.
  const head = message.toString('latin1', 0, headerEnd === -1 ? message.length : headerEnd);
  const body = headerEnd === -1 ? '' : message.toString('latin1', headerEnd + 4);
  const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');

  const signed = signedHeaders(head, signer.headerNames);
  const tags = [
    'v=1',
    `a=${signer.algorithm}`,
    'c=relaxed/relaxed',
    `d=${signer.domain}`,
    'q=dns/txt',
    `s=${signer.selector}`,
    `bh=${bodyHash}`,
    `h=${signed.map((h) => h.name).join(':')}`,
  ];
  const unsigned = `${foldLines(`DKIM-Signature: ${tags.join('; ')}`, 76)};${CRLF} b=`;
  // The signature covers the signed headers, then this header itself with an empty b= (RFC 6376 §3.7).
  const data = Buffer.from(
    [...signed.map((h) => `${h.name}:${h.value}`), `dkim-signature:${relaxedValue(unsigned.slice(unsigned.indexOf(':') + 1))}`].join(CRLF),
    'latin1',
  );
  const signature = signer.algorithm === 'rsa-sha256'
    ? sign('sha256', data, signer.key)
    // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the data (PureEdDSA over the digest).
    : sign(null, createHash('sha256').update(data).digest(), signer.key);
  return unsigned + signature.toString('base64').replace(/(^.{73}|.{75}(?!$))/g, `$&${CRLF} `);
}

/** The headers of `names` present in `head`, each the last of its name (as verifiers pick them), canonicalised. */
function signedHeaders(head: string, names: string[]): { name: string; value: string }[] {
  const lastOf = new Map<string, string>();
  for (const field of head.split(/\r?\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    // Relaxed header canonicalisation (§3.4.2): the name in lower case, the whitespace around the colon dropped.
    lastOf.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1));
  }
  return names.filter((name) => lastOf.has(name)).map((name) => ({ name, value: relaxedValue(lastOf.get(name)!) }));
}

/** A header value unfolded, each run of spaces and tabs one space, none at either end (§3.4.2). */
function relaxedValue(value: string): string {
  return value.replace(/\r?\n/g, '').replace(/[ \t]+/g, ' ').trim();
}

/**
 * Relaxed body canonicalisation (§3.4.4): no whitespace at line ends, each run of it within a line one space, no
 * empty lines at the end, and a non-empty body ends with CRLF. A bare LF counts as a line end, as it will on the
 * wire (SMTP DATA sends CRLF). Each step first asks natively whether it has anything to do: a body that needs
 * little (Herald's quoted-printable has no trailing spaces and no tabs) costs a few scans, not a rewrite.
 */
export function relaxedBody(body: string): string {
  let text = hasBareLineFeed(body) ? body.replace(/\r?\n/g, CRLF) : body;
  // A tab is whitespace like a space, and every run of either ends up one space or none: only spaces are left.
  if (text.includes('\t')) text = text.replace(/\t/g, ' ');
  if (text.includes(' \r\n')) text = text.replace(/ +\r\n/g, CRLF);
  if (text.includes('  ')) text = text.replace(/ {2,}/g, ' ');
  let end = text.length;
  // The last line may lack its CRLF; its trailing space goes all the same.
  if (text.charCodeAt(end - 1) === 0x20) end--;
  while (end >= 2 && text.charCodeAt(end - 1) === 0x0a && text.charCodeAt(end - 2) === 0x0d) end -= 2;
  return end === 0 ? '' : text.slice(0, end) + CRLF;
}

function hasBareLineFeed(text: string): boolean {
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i === 0 || text.charCodeAt(i - 1) !== 0x0d) return true;
  }
  return false;
}
