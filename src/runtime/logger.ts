// One pino logger per process; events carry a stable `event` field operators can search for.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return destination ? pino({ level, base: { app: 'herald' } }, destination as never) : pino({ level, base: { app: 'herald' } });
}
