// What Herald is compared with, on the same sink: the loop people really write (pooled nodemailer, 50 messages in
// flight, each message composed), nodemailer's own ceiling (one message composed once, only the envelope recipient
// changing), and Postfix's C load generator `smtp-source` when it is installed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface Edition {
  subject: string;
  html: string;
  text: string;
}

export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface LoopOptions {
  port: number;
  count: number;
  /** SMTP connections in the pool: the same number Herald gets. */
  connections: number;
  inFlight: number;
  dkim?: DkimKey;
}

const FROM = 'Herald <news@herald.example>';
const reader = (i: number) => ({ name: `Reader ${i}`, address: `reader${i}@example.com` });

function pooledTransport(options: LoopOptions) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: options.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: options.connections,
    maxMessages: Infinity,
    ...(options.dkim ? { dkim: options.dkim } : {}),
  });
}

/** Runs `send(i)` for i = 1..count with at most `inFlight` pending; resolves with messages per second. */
async function paced(count: number, inFlight: number, send: (i: number) => Promise<unknown>): Promise<number> {
  let next = 1;
  const started = performance.now();
  const lane = async () => {
    while (next <= count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  return count / ((performance.now() - started) / 1000);
}

/** The loop people write: each reader's message composed by nodemailer from the edition, 50 awaiting at a time. */
export async function naivePooledLoop(edition: Edition, options: LoopOptions): Promise<number> {
  const transport = pooledTransport(options);
  try {
    return await paced(options.count, options.inFlight, (i) => {
      const to = reader(i);
      return transport.sendMail({
        from: FROM,
        to,
        subject: edition.subject,
        html: edition.html.replaceAll('%%recipient.name%%', to.name),
        text: edition.text.replaceAll('%%recipient.name%%', to.name),
        headers: { 'List-Unsubscribe': `<https://herald.example/unsubscribe/${i}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
    });
  } finally {
    transport.close();
  }
}

/** nodemailer's ceiling: one MIME message built once; each send changes only the envelope's recipient. */
export async function precomposedCeiling(edition: Edition, options: LoopOptions): Promise<number> {
  const raw = await new MailComposer({ from: FROM, to: 'Readers <readers@example.com>', subject: edition.subject, html: edition.html, text: edition.text })
    .compile()
    .build();
  const transport = pooledTransport(options);
  try {
    return await paced(options.count, options.inFlight, (i) =>
      transport.sendMail({ envelope: { from: 'news@herald.example', to: [reader(i).address] }, raw }),
    );
  } finally {
    transport.close();
  }
}

export const POSTFIX_SOURCE = '/usr/sbin/smtp-source';

/** Postfix's smtp-source: `connections` sessions, messages of the edition's size, each session kept open. */
export async function smtpSource(port: number, count: number, connections: number, messageBytes: number): Promise<number | null> {
  if (!existsSync(POSTFIX_SOURCE)) return null;
  const started = performance.now();
  const child = spawn(POSTFIX_SOURCE, ['-d', '-s', String(connections), '-m', String(count), '-l', String(messageBytes), `127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`smtp-source failed: ${errors}`);
  return count / ((performance.now() - started) / 1000);
}
