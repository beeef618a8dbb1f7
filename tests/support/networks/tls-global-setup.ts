// Vitest globalSetup: a throwaway certificate for 127.0.0.1, trusted by the forked test workers via NODE_EXTRA_CA_CERTS.
//
// Node reads NODE_EXTRA_CA_CERTS once, at process start, so setting it inside a test file is too late. globalSetup
// runs in the main vitest process before the pool forks its workers, and vitest hands process.env to each fork:
// the workers start with the variable set. This needs the default `forks` pool (threads share the main process).
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { TestProject } from 'vitest/node';

export interface StandInTls {
  key: string;
  cert: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Key and certificate for HTTPS stand-ins (tests/support/networks), trusted by every worker. */
    standInTls: StandInTls;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Vitest runs a global setup once per project, in the same main process: every project must get the same
  // certificate, or the workers of one would trust only the other's.
  // The state lives on globalThis because each project may load this module afresh.
  const state = ((globalThis as { __heraldStandInTls?: SharedState }).__heraldStandInTls ??= {
    previousExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS,
    tls: createTrustedCertificate(),
    users: 0,
  });
  project.provide('standInTls', await state.tls);
  state.users++;
  return async () => {
    if (--state.users > 0) return;
    if (state.previousExtraCaCerts === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = state.previousExtraCaCerts;
  };
}

interface SharedState {
  previousExtraCaCerts: string | undefined;
  tls: Promise<StandInTls>;
  users: number;
}

async function createTrustedCertificate(): Promise<StandInTls> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 7 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  // Only the certificate goes to disk (the key travels through provide/inject). The file outlives teardown on
  // purpose: tinypool forks replacement workers while the pool shuts down, and each of them reads the file at start.
  await pruneOldBundles();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  const bundle = join(dir, 'extra-ca.pem');
  // Keep whatever extra CAs the developer already trusts (a corporate proxy, say).
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  const inherited = previous ? await readFile(previous, 'utf8').catch(() => '') : '';
  await writeFile(bundle, `${inherited.trim()}\n${pems.cert}`.trimStart());
  process.env.NODE_EXTRA_CA_CERTS = bundle;
  return { key: pems.private, cert: pems.cert };
}

const DIR_PREFIX = 'herald-stand-in-tls-';

/** Removes bundles older than a day (a watch session may run for hours). */
async function pruneOldBundles(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(DIR_PREFIX))) {
    const path = join(tmpdir(), name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 86_400_000) await rm(path, { recursive: true, force: true });
  }
}
