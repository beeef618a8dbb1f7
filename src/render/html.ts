// The one way Herald builds HTML in code: template literals that escape every value unless it is already HTML
// (built the same way). The dashboard, the public pages and the digest list all use it.
import { escapeHtml } from '../runtime/escape-html.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | HtmlValue[];

/** A value as HTML: text escaped, SafeHtml (and arrays of it) as it is, nothing for null, undefined and false. */
export function toHtml(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(toHtml).join('');
  if (value instanceof SafeHtml) return value.value;
  return escapeHtml(String(value));
}

/** html`<p>${text}</p>`: strings are escaped, SafeHtml and arrays of it are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => {
    out += toHtml(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** Markup that is trusted as it is (constants, files of this repository, sanitised article bodies; never input). */
export const trusted = (markup: string) => new SafeHtml(markup);

/** The values with `separator` between them, e.g. the lines of a postal address joined by <br>. */
export function joinHtml(values: HtmlValue[], separator: SafeHtml): SafeHtml {
  return new SafeHtml(values.map(toHtml).join(separator.value));
}

/** ` name="value"` attributes for the truthy entries (`true` → bare attribute). */
export function attrs(values: Record<string, string | number | boolean | null | undefined>): SafeHtml {
  return new SafeHtml(
    Object.entries(values)
      .filter(([, v]) => v !== false && v !== null && v !== undefined)
      .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
      .join(''),
  );
}
