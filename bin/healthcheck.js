#!/usr/bin/env node
// The image's HEALTHCHECK: healthy when this container's Herald answers /readyz, on PORT (`herald serve`) or on
// HERALD_WORKER_PORT (`herald worker`). Reads its ports through Herald's own config schema.
const { loadConfig } = await import('../dist/src/config/config.js');
const config = loadConfig();
const ports = [config.PORT, config.HERALD_WORKER_PORT].filter((port) => port !== undefined && port !== 0);

async function ready(port) {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4000) }).catch(() => undefined);
  return response?.ok === true;
}

const answers = await Promise.all(ports.map(ready));
process.exit(answers.some(Boolean) ? 0 : 1);
