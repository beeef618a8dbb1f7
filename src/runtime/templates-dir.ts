// Where the installation is: the folder of the nearest package.json, so it resolves the same from src/ and from the
// built dist/. templates/ lives there, and package.json says which version is running.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('no package.json above the running code');
    directory = parent;
  }
  root = directory;
  return root;
}

export function templatesDir(): string {
  return path.join(packageRoot(), 'templates');
}

/** Herald's version, from package.json. */
export function heraldVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
