#!/usr/bin/env node
// The `herald` command; runs the compiled CLI (`npm run build`). During development: `npx tsx src/cli/entry.ts`.
import '../dist/src/cli/entry.js';
