// The built-in capture inbox: a real SMTP server on loopback that keeps every message as an .eml file, so the
// quick start shows complete emails without any mail account.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readdir, stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SMTPServer } from 'smtp-server';

export interface CaptureInbox {
  /** smtp:// URL to hand the transport. */
  url: string;
  dir: string;
  close(): Promise<void>;
}

export async function startCaptureInbox(dir: string): Promise<CaptureInbox> {
  mkdirSync(dir, { recursive: true });
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

/** Reads only the header block of each message (the first 16 KB), newest first. */
export async function listCapturedMessages(dir: string, limit = 100): Promise<CapturedMessage[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort().reverse().slice(0, limit);
  } catch {
    return [];
  }
  return Promise.all(
    files.map(async (file) => {
      const path = join(dir, file);
      const handle = await open(path, 'r');
      try {
        const { bytesRead, buffer } = await handle.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
        const head = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
        const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
        return {
          file,
          size: (await stat(path)).size,
          receivedAt: (await stat(path)).mtime.toISOString(),
          from: header('From'),
          to: header('To'),
          subject: header('Subject'),
        };
      } finally {
        await handle.close();
      }
    }),
  );
}
