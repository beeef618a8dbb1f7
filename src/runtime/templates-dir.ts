// Where templates/ is: beside the nearest package.json, so it resolves the same from src/ and from the built dist/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function templatesDir(): string {
  if (root) return root;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('templates/ not found: no package.json above the running code');
    directory = parent;
  }
  root = path.join(directory, 'templates');
  return root;
}
