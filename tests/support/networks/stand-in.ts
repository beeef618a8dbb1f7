// Plumbing shared by the network stand-ins: listen on 127.0.0.1:0, record every request, play scripted answers.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the next matching request gets instead of the stand-in's normal handling. */
export type ScriptedAnswer =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Read the request, never answer: the client's timeout fires after the request was sent. */
  | { hang: true };

/** A 1×1 PNG, served at `/assets/cover.png` by every stand-in so adapters can fetch a post image. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export abstract class StandIn {
  /** Every request, in arrival order, including scripted and refused ones. */
  readonly requests: RecordedRequest[] = [];
  private readonly script: { pathPrefix: string; answer: ScriptedAnswer }[] = [];
  private readonly server: http.Server;
  private origin?: string;

  constructor(tls?: { key: string; cert: string }) {
    const listener = (req: IncomingMessage, res: ServerResponse) => void this.receive(req, res);
    this.server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  }

  /** `http://127.0.0.1:PORT` (https for TLS stand-ins). */
  get url(): string {
    if (!this.origin) throw new Error('stand-in not started');
    return this.origin;
  }

  get imageUrl(): string {
    return `${this.url}/assets/cover.png`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.origin = `${this.server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections(); // hung requests included
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `times` requests whose path starts with `pathPrefix` get `answer`. */
  scriptNext(pathPrefix: string, answer: ScriptedAnswer, times = 1): void {
    for (let i = 0; i < times; i++) this.script.push({ pathPrefix, answer });
  }

  /** Recorded requests to paths starting with `pathPrefix`. */
  requestsTo(pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  protected abstract handle(req: RecordedRequest, res: ServerResponse): void | Promise<void>;

  protected send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    if (body === undefined) {
      res.writeHead(status, headers).end();
    } else if (typeof body === 'string' || Buffer.isBuffer(body)) {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
    } else {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    }
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    this.requests.push(recorded);
    if (recorded.path === '/assets/cover.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': TINY_PNG.length }).end(TINY_PNG);
      return;
    }
    const at = this.script.findIndex((s) => recorded.path.startsWith(s.pathPrefix));
    if (at !== -1) {
      const [{ answer }] = this.script.splice(at, 1);
      if ('hang' in answer) return;
      this.send(res, answer.status, answer.body, answer.headers);
      return;
    }
    try {
      await this.handle(recorded, res);
    } catch (error) {
      if (!res.headersSent) this.send(res, 500, { error: 'StandInBug', message: String(error) });
    }
  }
}

/** Parses a recorded JSON body, or undefined when it is not JSON. */
export function jsonBody<T = Record<string, unknown>>(req: RecordedRequest): T | undefined {
  try {
    return JSON.parse(req.body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
