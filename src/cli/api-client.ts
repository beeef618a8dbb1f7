// The CLI talks to a running Herald over its API, so it works the same against embedded PGlite and PostgreSQL.
import type { Readable } from 'node:stream';
import type { Config } from '../config/config.js';
import { readGeneratedAdminToken } from '../runtime/data-dir.js';

export class CliError extends Error {}

export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  upload<T>(path: string, contentType: string, body: Readable, length?: number): Promise<T>;
  download(path: string): Promise<Response>;
}

export function apiBaseUrl(config: Config, override?: string): string {
  if (override) return override.replace(/\/+$/, '');
  const host = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`;
}

export function resolveToken(config: Config, override?: string): string {
  const token = override ?? config.HERALD_TOKEN ?? config.HERALD_ADMIN_TOKEN ?? readGeneratedAdminToken(config.HERALD_DATA_DIR);
  if (!token) {
    throw new CliError('no API token: pass --token, set HERALD_TOKEN, or start `herald serve` once to generate one');
  }
  return token;
}

async function failure(response: Response): Promise<CliError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: string; issues?: { path: string; message: string }[] };
    const issues = body.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
    return new CliError(`${response.status} ${body.error ?? response.statusText}${issues ? ` (${issues})` : ''}`);
  } catch {
    return new CliError(`${response.status} ${response.statusText}: ${text.slice(0, 200)}`);
  }
}

export function createApiClient(baseUrl: string, token: string): ApiClient {
  const call = async (path: string, init: RequestInit & { duplex?: 'half' }) => {
    try {
      return await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      });
    } catch (error) {
      throw new CliError(`cannot reach Herald at ${baseUrl} (${(error as Error).cause ?? (error as Error).message}); is \`herald serve\` running?`);
    }
  };
  return {
    async request<T>(method: string, path: string, body?: unknown) {
      const response = await call(path, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      if (!response.ok) throw await failure(response);
      return (await response.json()) as T;
    },
    async upload<T>(path: string, contentType: string, body: Readable, length?: number) {
      const response = await call(path, {
        method: 'POST',
        body: body as never,
        duplex: 'half',
        headers: { 'content-type': contentType, ...(length !== undefined ? { 'content-length': String(length) } : {}) },
      });
      if (!response.ok) throw await failure(response);
      return (await response.json()) as T;
    },
    async download(path: string) {
      const response = await call(path, { method: 'GET' });
      if (!response.ok) throw await failure(response);
      return response;
    },
  };
}
