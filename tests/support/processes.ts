// Runs `herald` commands as real child processes (for crash and scale-out tests), straight from the TypeScript source.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface HeraldProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `compiled` runs bin/herald.js (needs `npm run build`), as production does; otherwise the TypeScript source via tsx.
 * `cwd`: the working directory (where Herald looks for a .env); the repository by default.
 */
export function spawnHerald(args: string[], env: Record<string, string>, options: { compiled?: boolean; cwd?: string } = {}): HeraldProcess {
  const entry = options.compiled
    ? [path.join(repoRoot, 'bin/herald.js')]
    : ['--import', pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href, path.join(repoRoot, 'src/cli/entry.ts')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Runs a command to completion; resolves with its exit code and output. */
export function runHerald(args: string[], env: Record<string, string>, options: { cwd?: string } = {}): Promise<{ code: number | null; output: string }> {
  const proc = spawnHerald(args, env, options);
  return new Promise((resolve) => proc.child.once('exit', (code) => resolve({ code, output: proc.output() })));
}
