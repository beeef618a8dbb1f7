// Where the capture inbox keeps its .eml files.
import { join } from 'node:path';

export function outboxDir(dataDir: string): string {
  return join(dataDir, 'outbox');
}
