// A real SMTP server on loopback for tests: keeps every accepted message (parsed with mailparser) and can be told
// to answer like a difficult server (4xx, 5xx, dropped connections).
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMessage {
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

/**
 * Decides the reply for one message to `to`; undefined accepts it. `drop` closes the connection at RCPT TO;
 * `drop-after-data` takes the whole message and closes the connection instead of answering it (the sender cannot
 * know whether it was accepted).
 */
export type ReplyRule = (to: string, attempt: number) => { code: number; message: string } | 'drop' | 'drop-after-data' | undefined;

export interface SmtpSink {
  url: string;
  port: number;
  messages: ReceivedMessage[];
  /** Messages accepted per recipient address. */
  countFor(address: string): number;
  setRule(rule: ReplyRule | undefined): void;
  /** Changes the wait before each message is accepted (the `delayMs` option) from now on. */
  setDelay(ms: number): void;
  /** Messages taken in full and then dropped unanswered ('drop-after-data'). */
  droppedAfterData(): number;
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Recipients whose message was taken in full and then never answered (the `silent` option), still waiting. */
  silentNow(): string[];
  close(): Promise<void>;
  /** Goes away at once, as a crashed server does: every open connection is cut, the port closed. */
  kill(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Milliseconds before each message is accepted, to slow a run down (crash tests). */
  delayMs?: number;
  /** Listen on this port (a restarted server comes back where it was); 0 = any free one. */
  port?: number;
  /** Take the whole message for `to` (this attempt) and then say nothing, as a server that hangs after DATA. */
  silent?: (to: string, attempt: number) => boolean;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = [];
  const attempts = new Map<string, number>();
  let rule: ReplyRule | undefined;
  let delayMs = options.delayMs ?? 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const silentNow = new Set<string>();
  const dataAttempts = new Map<string, number>();
  let dataDropped = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, session: SMTPServerSession, callback) {
      const to = address.address.toLowerCase();
      const attempt = (attempts.get(to) ?? 0) + 1;
      attempts.set(to, attempt);
      const reply = rule?.(to, attempt);
      if (reply === 'drop') {
        // Close the connection mid-transaction, as a crashing server would.
        destroyConnection(session);
        return callback(new Error('dropped'));
      }
      if (reply === 'drop-after-data') {
        (session as unknown as { dropAfterData?: boolean }).dropAfterData = true;
        return callback();
      }
      if (reply) return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if ((session as unknown as { dropAfterData?: boolean }).dropAfterData) {
          dataDropped++;
          destroyConnection(session);
          return;
        }
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase())[0] ?? '';
        const attempt = (dataAttempts.get(to) ?? 0) + 1;
        dataAttempts.set(to, attempt);
        if (options.silent?.(to, attempt)) {
          // Never answer: the client sees silence after the end of DATA, and the message is not kept.
          silentNow.add(to);
          const port = (session as unknown as { remotePort: number }).remotePort;
          [...sockets].find((s) => s.remotePort === port)?.once('close', () => silentNow.delete(to));
          return;
        }
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        const raw = Buffer.concat(chunks);
        const parsed = await simpleParser(raw);
        messages.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw, parsed });
        const pending = waiters;
        waiters = [];
        pending.forEach((w) => w());
        callback(null, 'OK: queued');
      });
    },
  });
  server.on('error', () => {});
  server.server.on('connection', (socket: import('node:net').Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  /** Closes the TCP connection a session runs on, as a crashing server would (the session does not hold its socket). */
  function destroyConnection(session: SMTPServerSession): void {
    const connections = (server as unknown as { connections: Set<{ session?: { id: string }; _socket?: { destroy(): void } }> }).connections;
    for (const connection of connections) if (connection.session?.id === session.id) connection._socket?.destroy();
  }
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    countFor: (address) => messages.filter((m) => m.envelopeTo.includes(address.toLowerCase())).length,
    droppedAfterData: () => dataDropped,
    setRule: (r) => {
      rule = r;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return messages;
    },
    silentNow: () => [...silentNow],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    kill: async () => {
      const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
