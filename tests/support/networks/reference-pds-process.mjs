// The AT Protocol reference server for tests, as its own process: an in-memory PLC directory (@did-plc/server) and
// @atproto/pds on SQLite, configured by the PDS_* variables the PDS's own entry point reads. Prints one JSON line
// when ready; SIGTERM, or the end of stdin, stops both. Plain JavaScript run by plain node: through tsx, which
// transforms every CommonJS file the PDS loads, the start took 24 s instead of 10 s on a loaded machine.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Server } from 'node:net';

const require = createRequire(import.meta.url);
const { Database, PlcServer } = require('@did-plc/server');
const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds');

// Both servers call listen(port) without a host, i.e. on every interface; a test server belongs on loopback only.
const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};

try {
  const plc = PlcServer.create({ db: Database.mock(), port: 0 });
  const plcPort = (await plc.start()).address().port;
  // The PDS registers each account's DID (with the service URL it was given) here, and resolves DIDs through it.
  process.env.PDS_DID_PLC_URL = `http://127.0.0.1:${plcPort}`;
  const env = readEnv();
  const pds = await PDS.create(envToCfg(env), envToSecrets(env));
  await pds.start();
  let stopping = false;
  const stop = (orphaned) => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([pds.destroy(), plc.destroy()]).then(() => {
      // Nobody is left to remove the data directory otherwise.
      if (orphaned) rmSync(process.env.PDS_DATA_DIRECTORY, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop(false));
  // stdin is a pipe from the test process: it ends when that process dies without stopping us, so no PDS outlives it.
  process.stdin.on('end', () => stop(true)).resume();
  process.stdout.write(`${JSON.stringify({ ready: true, plcUrl: process.env.PDS_DID_PLC_URL })}\n`);
} catch (error) {
  process.stderr.write(`reference PDS failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
}
