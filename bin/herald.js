#!/usr/bin/env node
// The `herald` command; runs the compiled CLI (`npm run build`). During development: `npx tsx src/cli/entry.ts`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/entry.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'herald: the compiled code (dist/) is missing. Run `npm run build` (needs the dev dependencies: `npm ci`), ' +
      'or `npm start`, which builds first.\n',
  );
  process.exit(1);
}
await import(entry.href);
