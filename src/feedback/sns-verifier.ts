// Checks that an SNS message really comes from Amazon: the signing certificate must come over HTTPS from an allowed
// host (through the guarded outbound fetcher), be issued to SNS, and its key must verify the signature. Certificates
// are cached per URL.
import { verify, X509Certificate } from 'node:crypto';
import { OutboundFetchError, type OutboundFetcher, type OutboundResponse } from '../net/outbound-fetch.js';
import { commonNameOf, isSnsCertificateSubject } from './sns-hosts.js';
import { snsSignatureAlgorithm, snsStringToSign, type SnsMessage } from './sns-message.js';

export class SnsVerificationError extends Error {}

export interface SnsVerifierOptions {
  /** Hosts certificates and SubscribeURLs may come from (SNS_CERT_HOST_PATTERN; default the SNS regional hosts). */
  hostPattern: RegExp;
  fetcher: OutboundFetcher;
  /** Gives up on a certificate or SubscribeURL fetch after this long. Default 5000 ms. */
  timeoutMs?: number;
  /** Certificates kept in memory. Default 20 (SNS rotates them rarely). */
  cacheSize?: number;
}

const MAX_CERTIFICATE_BYTES = 64 * 1024;

export class SnsVerifier {
  private readonly certificates = new Map<string, Promise<X509Certificate>>();

  constructor(private readonly options: SnsVerifierOptions) {}

  /** Throws SnsVerificationError unless the message is signed by a certificate from an allowed SNS host. */
  async verify(message: SnsMessage): Promise<void> {
    const certificate = await this.certificate(this.allowedUrl(message.SigningCertURL, 'SigningCertURL'));
    if (!isSnsCertificateSubject(commonNameOf(certificate.subject))) {
      throw new SnsVerificationError('the signing certificate was not issued to Amazon SNS');
    }
    const now = Date.now();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      throw new SnsVerificationError('the signing certificate is not valid at this time');
    }
    const valid = verify(
      snsSignatureAlgorithm(message.SignatureVersion),
      Buffer.from(snsStringToSign(message), 'utf8'),
      certificate.publicKey,
      Buffer.from(message.Signature, 'base64'),
    );
    if (!valid) throw new SnsVerificationError('the signature does not match the message');
  }

  /** Visits the SubscribeURL of a verified SubscriptionConfirmation, which completes the SNS subscription. */
  async confirmSubscription(message: SnsMessage): Promise<void> {
    if (!message.SubscribeURL) throw new SnsVerificationError('SubscriptionConfirmation without SubscribeURL');
    const response = await this.fetch(this.allowedUrl(message.SubscribeURL, 'SubscribeURL'));
    if (response.status < 200 || response.status >= 300) throw new Error(`SNS answered ${response.status} to the SubscribeURL`);
  }

  private allowedUrl(raw: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SnsVerificationError(`${what} is not a URL`);
    }
    if (url.protocol !== 'https:') throw new SnsVerificationError(`${what} must be https`);
    if (url.username || url.password || !this.options.hostPattern.test(url.hostname)) {
      throw new SnsVerificationError(`${what} host ${url.hostname} is not an allowed SNS host`);
    }
    return url;
  }

  private certificate(url: URL): Promise<X509Certificate> {
    const key = url.href;
    let certificate = this.certificates.get(key);
    if (!certificate) {
      certificate = this.download(url);
      certificate.catch(() => this.certificates.delete(key)); // a failed download is tried again next time
      this.certificates.set(key, certificate);
      if (this.certificates.size > (this.options.cacheSize ?? 20)) this.certificates.delete(this.certificates.keys().next().value!);
    }
    return certificate;
  }

  private async download(url: URL): Promise<X509Certificate> {
    let response: OutboundResponse;
    try {
      response = await this.fetch(url);
    } catch (error) {
      if (error instanceof OutboundFetchError) throw new SnsVerificationError(`fetching the signing certificate failed: ${error.message}`);
      throw error;
    }
    if (response.status !== 200) throw new SnsVerificationError(`fetching the signing certificate failed: HTTP ${response.status}`);
    const pem = response.body.toString('utf8');
    try {
      return new X509Certificate(pem);
    } catch {
      throw new SnsVerificationError('the signing certificate cannot be read');
    }
  }

  private fetch(url: URL): Promise<OutboundResponse> {
    // No redirects: a redirect could lead away from the allowed host.
    return this.options.fetcher.fetch(url, {
      httpsOnly: true,
      maxRedirects: 0,
      maxBytes: MAX_CERTIFICATE_BYTES,
      timeoutMs: this.options.timeoutMs ?? 5000,
    });
  }
}
