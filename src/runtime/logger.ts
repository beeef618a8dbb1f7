// One pino logger per process; events carry a stable `event` field operators can search for (docs/OPERATIONS.md).
// JSON lines for log collectors; readable lines (pino-pretty) when a person watches a terminal.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

const require = createRequire(import.meta.url);

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { app: 'herald' } };
  if (destination) return pino(options, destination as never);
  if (process.stdout.isTTY) {
    // Loaded only for a terminal: services under a supervisor write JSON and never carry it.
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(options, pretty({ colorize: true, ignore: 'pid,hostname,app', translateTime: 'SYS:HH:MM:ss' }));
  }
  return pino(options);
}
