// The built-in capture inbox: a real SMTP server on loopback that keeps every message as an .eml file, so the
// quick start shows complete emails without any mail account.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readdir, stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Where the capture inbox keeps its .eml files. The folder keeps its first name, `outbox`, so an existing data dir
 * keeps its captured mail (README documents ./data/outbox).
 */
export function captureInboxDir(dataDir: string): string {
  return join(dataDir, 'outbox');
}

export interface CaptureInbox {
  /** smtp:// URL to hand the transport. */
  url: string;
  dir: string;
  close(): Promise<void>;
}

export async function startCaptureInbox(dir: string): Promise<CaptureInbox> {
  mkdirSync(dir, { recursive: true });
  // Loaded here only: processes that send to SMTP_URL, and the API listing the inbox, never carry an SMTP server.
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 25 * 1024 * 1024,
    onData(stream, session, callback) {
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
      pipeline(stream, createWriteStream(join(dir, name))).then(
        () => callback(null, `queued as ${name}`),
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    dir,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface CapturedMessage {
  file: string;
  size: number;
  receivedAt: string;
  from: string;
  to: string;
  subject: string;
}

/** Reads only the header block of each message (the first 16 KB), newest first; `before`: older than that file. */
export async function listCapturedMessages(dir: string, page: { limit: number; before?: string } = { limit: 100 }): Promise<CapturedMessage[]> {
  // Loaded on first use: only the API process that lists the inbox needs a MIME parser.
  const { simpleParser } = await import('mailparser');
  let files: string[];
  try {
    files = (await readdir(dir))
      .filter((f) => f.endsWith('.eml') && (page.before === undefined || f < page.before))
      .sort()
      .reverse()
      .slice(0, page.limit);
  } catch {
    return [];
  }
  return Promise.all(
    files.map(async (file) => {
      const path = join(dir, file);
      const handle = await open(path, 'r');
      try {
        const { bytesRead, buffer } = await handle.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
        // mailparser decodes the RFC 2047 words; the header block alone is all it needs.
        const head = buffer.subarray(0, bytesRead).toString('latin1').split(/\r?\n\r?\n/)[0];
        const parsed = await simpleParser(Buffer.from(`${head}\r\n\r\n`, 'latin1'));
        const info = await stat(path);
        return {
          file,
          size: info.size,
          receivedAt: info.mtime.toISOString(),
          from: parsed.from?.text ?? '',
          to: (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.text ?? '',
          subject: parsed.subject ?? '',
        };
      } finally {
        await handle.close();
      }
    }),
  );
}
