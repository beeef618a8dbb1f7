// Loads files from the repository's templates/ folder, once per process (they are filled by src/render/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { templatesDir } from './templates-dir.js';

const cache = new Map<string, string>();

/** A template by its path under templates/, e.g. `email/notice.html`. Read once, then served from memory. */
export function loadTemplate(relativePath: string): string {
  let template = cache.get(relativePath);
  if (template === undefined) {
    // Strips the leading comment that documents each template file.
    template = readFileSync(path.join(templatesDir(), relativePath), 'utf8').replace(/^<!--[\s\S]*?-->\s*/, '');
    cache.set(relativePath, template);
  }
  return template;
}
