// The one filler for `{{…}}` template files: the email templates (HTML, escaped as html`` escapes) and the social
// post templates (plain text). Code that builds HTML uses html`` instead (src/render/html.ts).
import { SafeHtml, toHtml, type HtmlValue } from './html.js';

/**
 * `{{name}}` a value (spaces inside the braces allowed), `{{{name}}}` a slot that takes HTML, and
 * `{{#if name}}…{{/if}}` a block kept only when `name` is set.
 */
const SECTION = /\{\{#if\s+(\w+)\s*\}\}([\s\S]*?)\{\{\/if\s*\}\}/g;
const SLOT = /\{\{\{\s*(\w+)\s*\}\}\}|\{\{\s*(\w+)\s*\}\}/g;

export interface Slot {
  name: string;
  /** Written `{{{name}}}`: the template expects HTML there. */
  takesHtml: boolean;
}

/** Every name the template uses, in sections and in slots. */
export function templateNames(template: string): string[] {
  const sections = Array.from(template.matchAll(SECTION), (m) => m[1]);
  const slots = Array.from(template.matchAll(SLOT), (m) => m[1] ?? m[2]);
  return [...sections, ...slots];
}

/** Keeps each `{{#if name}}…{{/if}}` block whose name is set, without its markers; drops the others. */
export function keepSections(template: string, isSet: (name: string) => boolean): string {
  return template.replace(SECTION, (_, name: string, block: string) => (isSet(name) ? block : ''));
}

/** Replaces every slot in one pass, so a value that happens to contain "{{x}}" is never expanded again. */
export function fillSlots(template: string, valueOf: (slot: Slot) => string): string {
  return template.replace(SLOT, (_, htmlName: string | undefined, textName: string | undefined) =>
    valueOf({ name: htmlName ?? textName!, takesHtml: htmlName !== undefined }),
  );
}

export type HtmlTemplateValues = Record<string, Exclude<HtmlValue, HtmlValue[] | null | undefined>>;

/**
 * An HTML template file filled as html`` fills: text is escaped, SafeHtml goes in as it is. A `{{{slot}}}` takes
 * SafeHtml only, so text can never reach the page unescaped; a name the caller did not provide is an error.
 */
export function fillHtmlTemplate(template: string, values: HtmlTemplateValues): string {
  const valueOf = (name: string) => {
    if (!(name in values)) throw new Error(`template uses {{${name}}}, which was not provided`);
    return values[name];
  };
  const isSet = (name: string) => {
    const value = valueOf(name);
    return value instanceof SafeHtml ? value.value !== '' : Boolean(value);
  };
  // Sections first: they only ever enclose template text, never a value.
  return fillSlots(keepSections(template, isSet), ({ name, takesHtml }) => {
    const value = valueOf(name);
    if (takesHtml && !(value instanceof SafeHtml)) throw new TypeError(`template slot {{{${name}}}} takes HTML built with html\`\``);
    return toHtml(value);
  });
}
