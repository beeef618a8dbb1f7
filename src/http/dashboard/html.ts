// HTML built from template literals that escape every value unless it is already HTML (built the same way).
import { escapeHtml } from '../../runtime/escape-html.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Value = SafeHtml | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof SafeHtml) return value.value;
  return escapeHtml(String(value));
}

/** html`<p>${text}</p>`: strings are escaped, SafeHtml and arrays of it are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** Markup that is trusted as it is (constants, never input). */
export const trusted = (markup: string) => new SafeHtml(markup);

/** ` name="value"` attributes for the truthy entries (`true` → bare attribute). */
export function attrs(values: Record<string, string | number | boolean | null | undefined>): SafeHtml {
  return new SafeHtml(
    Object.entries(values)
      .filter(([, v]) => v !== false && v !== null && v !== undefined)
      .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
      .join(''),
  );
}
