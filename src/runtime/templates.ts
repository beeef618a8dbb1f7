// Loads HTML templates from the repository's templates/ folder (once per process) and fills their placeholders.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml } from './escape-html.js';
import { templatesDir } from './templates-dir.js';

/** `{{key}}` is HTML-escaped, `{{{key}}}` is inserted as is (callers build that HTML from escaped parts). */
export type TemplateValues = Record<string, string | number>;

const VALUE_PATTERN = /\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}/g;

/** One pass over the template, so a value that contains "{{x}}" is never expanded again. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(VALUE_PATTERN, (_, rawKey: string | undefined, escapedKey: string | undefined) => {
    const key = rawKey ?? escapedKey!;
    if (!(key in values)) throw new Error(`template uses {{${key}}}, which was not provided`);
    const value = String(values[key]);
    return rawKey ? value : escapeHtml(value);
  });
}

const cache = new Map<string, string>();

/** A template by its path under templates/, e.g. `pages/layout.html`. Read once, then served from memory. */
export function loadTemplate(relativePath: string): string {
  let template = cache.get(relativePath);
  if (template === undefined) {
    // Strips the leading comment that documents each template file.
    template = readFileSync(path.join(templatesDir(), relativePath), 'utf8').replace(/^<!--[\s\S]*?-->\s*/, '');
    cache.set(relativePath, template);
  }
  return template;
}
