// The AT Protocol reference server for one test file: @atproto/pds 0.4 with an in-memory PLC directory in a child
// process, SQLite and blobs in a temporary directory, one account with an app password, and reads of what it holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AtpAgent, AtUri } from '@atproto/api';
import { startTestHerald, type TestHerald } from '../herald.js';
import { freeServicePort } from '../private-services.js';

const PROCESS_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference-pds-process.mjs');
/** Loading the PDS takes ~10 s on this machine under load; give it room before calling the start failed. */
const START_TIMEOUT_MS = 90_000;
/** The handle domain the PDS serves on `localhost` in dev mode. */
const HANDLE = 'herald.test';

export interface StoredRecord {
  uri: string;
  cid?: string;
  value: Record<string, any>;
}

export interface ReferencePds {
  /** `http://localhost:PORT`: the service URL the PDS wrote into the account's DID document. */
  url: string;
  handle: string;
  did: string;
  appPassword: string;
  /** Herald's settings for the account. */
  env: { BLUESKY_SERVICE: string; BLUESKY_HANDLE: string; BLUESKY_APP_PASSWORD: string };
  /** From spawning the process to the account's app password, in ms (reported, never asserted). */
  startupMs: number;
  /** com.atproto.repo.getRecord of an at:// uri; rejects with the PDS's XRPCError (400 RecordNotFound once deleted). */
  getRecord(uri: string): Promise<StoredRecord>;
  /** com.atproto.repo.listRecords of the account's app.bsky.feed.post collection. */
  listPosts(): Promise<StoredRecord[]>;
  /** com.atproto.sync.getBlob: the bytes the PDS stored under a blob's CID. */
  getBlob(cid: string): Promise<Buffer>;
  /** A post the account's owner makes in the app, not through Herald; resolves with its at:// uri. */
  postByHand(text: string): Promise<string>;
  /** The owner deletes a record in the app (com.atproto.repo.deleteRecord with the account password's session). */
  deleteByHand(uri: string): Promise<void>;
  /** com.atproto.identity.resolveHandle: the DID a handle names on this PDS. */
  resolveHandle(handle: string): Promise<string>;
  close(): Promise<void>;
}

/** A k256 private key in hex, the form PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX takes. */
function rotationKeyHex(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'jwk' });
  return Buffer.from(jwk.d!, 'base64url').toString('hex');
}

export async function startReferencePds(): Promise<ReferencePds> {
  const started = Date.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-pds-'));
  let child: ChildProcess | undefined;
  try {
    // A fixed port chosen before the start, because the DID document advertises the port the PDS was given. Another
    // process may take it between the probe and the PDS's listen: then try another.
    let port = 0;
    for (let attempt = 1; !child; attempt++) {
      port = await freeServicePort();
      try {
        child = await spawnPds(port, dataDir);
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt === 3) throw error;
      }
    }
    const url = `http://localhost:${port}`;
    const owner = new AtpAgent({ service: url });
    const password = randomBytes(12).toString('hex');
    await owner.createAccount({ handle: HANDLE, email: 'desk@example.org', password });
    const { data } = await owner.com.atproto.server.createAppPassword({ name: 'herald' });
    const did = owner.session!.did;
    const pds = child;
    const reader = new AtpAgent({ service: url });

    return {
      url,
      handle: HANDLE,
      did,
      appPassword: data.password,
      env: { BLUESKY_SERVICE: url, BLUESKY_HANDLE: HANDLE, BLUESKY_APP_PASSWORD: data.password },
      startupMs: Date.now() - started,
      getRecord: async (uri) => {
        const at = new AtUri(uri);
        const { data: got } = await reader.com.atproto.repo.getRecord({ repo: at.host, collection: at.collection, rkey: at.rkey });
        return got as StoredRecord;
      },
      listPosts: async () => {
        const { data: listed } = await reader.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 100 });
        return listed.records as StoredRecord[];
      },
      getBlob: async (cid) => Buffer.from((await reader.com.atproto.sync.getBlob({ did, cid })).data),
      postByHand: async (text) => (await owner.post({ text, createdAt: new Date().toISOString() })).uri,
      deleteByHand: async (uri) => {
        await owner.deletePost(uri);
      },
      resolveHandle: async (handle) => (await reader.com.atproto.identity.resolveHandle({ handle })).data.did,
      close: async () => {
        await stop(pds);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

class PortTaken extends Error {}

/** Starts the PDS process and resolves once it has printed its ready line; rejects with its output if it exits. */
function spawnPds(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [PROCESS_SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PDS_HOSTNAME: 'localhost',
      PDS_PORT: String(port),
      PDS_DEV_MODE: 'true',
      PDS_INVITE_REQUIRED: 'false',
      PDS_DATA_DIRECTORY: dataDir,
      PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
      PDS_JWT_SECRET: randomBytes(16).toString('hex'),
      PDS_ADMIN_PASSWORD: randomBytes(16).toString('hex'),
      PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: rotationKeyHex(),
      // Left unset, so nothing leaves the machine: no app view, no relay to notify (PDS_CRAWLERS), no mail.
    },
    // stdin stays open for the PDS's life: when this process dies, it ends, and the PDS stops itself.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the reference PDS did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (d) => {
      output += d;
      if (output.includes('"ready":true')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const message = `the reference PDS exited (${code ?? signal}) before it was ready:\n${output}`;
      reject(output.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A PDS and a Herald posting to it (the PDS first: its start is the slow part, ~3-25 s on this machine). */
export async function startHeraldOnReferencePds(): Promise<{ pds: ReferencePds; herald: TestHerald }> {
  const pds = await startReferencePds();
  console.info(`reference PDS ready in ${pds.startupMs} ms`);
  const herald = await startTestHerald({ env: { ...pds.env, SOCIAL_TIMEOUT_MS: '10000' } });
  return { pds, herald };
}

export async function stopHeraldOnReferencePds(herald: TestHerald | undefined, pds: ReferencePds | undefined): Promise<void> {
  await herald?.stop();
  await pds?.close();
}
