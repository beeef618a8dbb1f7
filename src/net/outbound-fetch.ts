// The one door to the outside for URLs Herald did not configure itself (image URLs in articles, what a feed redirects
// to, SNS certificate URLs): http(s) only, the host resolved once and every address checked against the policy, the
// connection made to the checked address (no second lookup a DNS rebinder could answer differently), every redirect
// checked again, a connect and a total timeout, and the body streamed with a cap on the *decoded* bytes.
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { AllowList, forbiddenReason } from './address-policy.js';

export type OutboundFailureCode =
  | 'bad_url'
  | 'forbidden_address'
  | 'too_many_redirects'
  | 'too_large'
  | 'timeout'
  | 'network';

/** Why a fetch did not happen or did not finish; `code` is stable, the message says what was refused. */
export class OutboundFetchError extends Error {
  constructor(readonly code: OutboundFailureCode, message: string) {
    super(message);
    this.name = 'OutboundFetchError';
  }
}

export interface OutboundRequest {
  headers?: Record<string, string>;
  /** Decoded bytes read at most; one more aborts the download with `too_large`. */
  maxBytes: number;
  /** The whole fetch, redirects included. */
  timeoutMs: number;
  /** Until the TCP (and TLS) connection stands. Default: the smaller of timeoutMs and 10 s. */
  connectTimeoutMs?: number;
  /** Default 5; 0 refuses any redirect. */
  maxRedirects?: number;
  /**
   * The first URL is one the operator configured (a HERALD_FEEDS entry): it is fetched as typed, even if private.
   * Whatever it redirects to is checked like any content URL.
   */
  trustFirstUrl?: boolean;
  /** Only `https:` (SNS certificates). */
  httpsOnly?: boolean;
  /** A POST of this body (outbound webhooks); default a GET. Use with maxRedirects 0: a redirect is not re-posted. */
  body?: string;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Where the answer came from, after redirects. */
  url: string;
  /** Decoded body; empty for anything but 2xx (those bodies are not read). */
  body: Buffer;
}

/** The process' fetcher, with the operator's exceptions from HERALD_FETCH_ALLOW_HOSTS. */
export function outboundFetcher(config: { HERALD_FETCH_ALLOW_HOSTS: readonly string[] }): OutboundFetcher {
  return new OutboundFetcher({ allow: config.HERALD_FETCH_ALLOW_HOSTS });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface OutboundFetcherOptions {
  /** HERALD_FETCH_ALLOW_HOSTS: hosts, addresses and ranges that may be fetched although private. */
  allow?: readonly string[];
  userAgent?: string;
  /** For tests of the policy: a resolver instead of the system's. */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export class OutboundFetcher {
  private readonly allow: AllowList;
  private readonly resolve: (hostname: string) => Promise<{ address: string; family: number }[]>;

  constructor(private readonly options: OutboundFetcherOptions = {}) {
    this.allow = new AllowList(options.allow ?? []);
    this.resolve = options.resolve ?? ((hostname) => lookup(hostname, { all: true, verbatim: true }));
  }

  async fetch(url: string | URL, request: OutboundRequest): Promise<OutboundResponse> {
    const deadline = AbortSignal.timeout(request.timeoutMs);
    const maxRedirects = request.maxRedirects ?? 5;
    let current = this.parse(String(url), request);
    for (let hop = 0; ; hop++) {
      const trusted = hop === 0 && request.trustFirstUrl === true;
      const target = await this.checkedAddress(current, trusted, deadline, request.timeoutMs);
      const response = await this.once(current, target, request, deadline);
      const location = response.headers.location;
      if (REDIRECTS.has(response.status) && location) {
        response.stream.destroy();
        if (hop >= maxRedirects) throw new OutboundFetchError('too_many_redirects', `more than ${maxRedirects} redirects from ${url}`);
        current = this.parse(new URL(location, current).href, request);
        continue;
      }
      const ok = response.status >= 200 && response.status < 300;
      const body = ok ? await readCapped(response, request.maxBytes, deadline, request.timeoutMs) : Buffer.alloc(0);
      if (!ok) response.stream.destroy();
      return { status: response.status, headers: response.headers, url: current.href, body };
    }
  }

  private parse(raw: string, request: OutboundRequest): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundFetchError('bad_url', `${raw.slice(0, 200)} is not a URL`);
    }
    const schemes = request.httpsOnly ? ['https:'] : ['http:', 'https:'];
    if (!schemes.includes(url.protocol)) throw new OutboundFetchError('bad_url', `${url.protocol} URLs are not fetched`);
    if (url.username || url.password) throw new OutboundFetchError('bad_url', 'URLs with credentials are not fetched');
    return url;
  }

  /** Resolves once; every address must pass (a name that also points inward is refused whole). */
  private async checkedAddress(url: URL, trusted: boolean, deadline: AbortSignal, timeoutMs: number): Promise<{ address: string; family: number }> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: { address: string; family: number }[];
    if (isIP(hostname)) {
      addresses = [{ address: hostname, family: isIP(hostname) }];
    } else {
      try {
        addresses = await raceDeadline(this.resolve(hostname), deadline, timeoutMs);
      } catch (error) {
        if (error instanceof OutboundFetchError) throw error;
        throw new OutboundFetchError('network', `cannot resolve ${hostname}: ${(error as Error).message}`);
      }
      if (addresses.length === 0) throw new OutboundFetchError('network', `${hostname} has no address`);
    }
    if (!trusted && !this.allow.allowsHost(hostname)) {
      for (const { address } of addresses) {
        const why = forbiddenReason(address);
        if (why && !this.allow.allowsAddress(address)) {
          throw new OutboundFetchError('forbidden_address', `${hostname} resolves to ${address} (${why}); not fetched (HERALD_FETCH_ALLOW_HOSTS)`);
        }
      }
    }
    return addresses[0]!;
  }

  private once(
    url: URL,
    target: { address: string; family: number },
    request: OutboundRequest,
    deadline: AbortSignal,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; stream: IncomingMessage }> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const connectTimeoutMs = request.connectTimeoutMs ?? Math.min(request.timeoutMs, 10_000);
    return new Promise((resolve, reject) => {
      if (deadline.aborted) return reject(timeoutError(request.timeoutMs));
      const req = send({
        protocol: url.protocol,
        // The checked address itself: nothing is looked up again between the check and the connection.
        host: target.address,
        family: target.family,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: request.body === undefined ? 'GET' : 'POST',
        agent: false,
        // TLS is checked against the name in the URL, as a browser would.
        ...(isIP(hostname) ? {} : { servername: hostname }),
        headers: {
          'user-agent': this.options.userAgent ?? 'Herald',
          'accept-encoding': 'gzip, deflate, br',
          ...request.headers,
          ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }),
          host: url.host,
        },
      });
      const connectTimer = setTimeout(() => req.destroy(new OutboundFetchError('timeout', `no connection to ${url.host} within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      req.on('socket', (socket) => {
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      const onAbort = () => req.destroy(timeoutError(request.timeoutMs));
      deadline.addEventListener('abort', onAbort, { once: true });
      req.on('response', (stream) => {
        clearTimeout(connectTimer);
        stream.once('close', () => deadline.removeEventListener('abort', onAbort));
        resolve({ status: stream.statusCode ?? 0, headers: stream.headers, stream });
      });
      req.on('error', (error) => {
        clearTimeout(connectTimer);
        deadline.removeEventListener('abort', onAbort);
        reject(error instanceof OutboundFetchError ? error : new OutboundFetchError('network', `${url.host}: ${error.message}`));
      });
      req.end(request.body);
    });
  }
}

const timeoutError = (ms: number) => new OutboundFetchError('timeout', `no complete answer within ${ms} ms`);

function raceDeadline<T>(promise: Promise<T>, deadline: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (deadline.aborted) return reject(timeoutError(timeoutMs));
    const onAbort = () => reject(timeoutError(timeoutMs));
    deadline.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => deadline.removeEventListener('abort', onAbort));
  });
}

function decoderFor(encoding: string | undefined): Readable | undefined {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/** Reads at most `maxBytes` decoded bytes; a longer body (or a bomb that inflates past it) aborts the download. */
async function readCapped(
  response: { headers: IncomingHttpHeaders; stream: IncomingMessage },
  maxBytes: number,
  deadline: AbortSignal,
  timeoutMs: number,
): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  const encoding = response.headers['content-encoding'];
  const decoder = decoderFor(encoding);
  if (!decoder && declared > maxBytes) {
    response.stream.destroy();
    throw new OutboundFetchError('too_large', `${declared} bytes, over the ${maxBytes} limit`);
  }
  const source: Readable = decoder ? response.stream.pipe(decoder as NodeJS.WritableStream & Readable) : response.stream;
  if (decoder) response.stream.on('error', (error) => decoder.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  const onAbort = () => source.destroy(timeoutError(timeoutMs));
  deadline.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new OutboundFetchError('too_large', `over the ${maxBytes} byte limit${decoder ? ' once decoded' : ''}`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof OutboundFetchError) throw error;
    throw new OutboundFetchError('network', `download broke: ${(error as Error).message}`);
  } finally {
    deadline.removeEventListener('abort', onAbort);
    response.stream.destroy();
    decoder?.destroy();
  }
  return Buffer.concat(chunks);
}
