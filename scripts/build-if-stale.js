// `npm start`'s pre-step: runs `npm run build` only when a source is newer than the compiled output (or there is
// none), so a restart does not spend seconds recompiling unchanged code.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src', 'workers', 'templates/email/edition.mjml', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const OUTPUTS = ['dist/src/cli/entry.js', 'templates/email/.compiled/edition.html'];

function newestMtime(target) {
  const full = path.join(root, target);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(full).map((name) => newestMtime(path.join(target, name))));
}

const builtAt = Math.min(...OUTPUTS.map((output) => (existsSync(path.join(root, output)) ? statSync(path.join(root, output)).mtimeMs : 0)));
const changedAt = Math.max(...SOURCES.map(newestMtime));
if (changedAt > builtAt) {
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
} else {
  process.stdout.write('herald: build is up to date\n');
}
