// Pieces the public forms share: a choice (checkbox or radio with its label), the topics fieldset, the error summary.
import { attrs, html, joinHtml, type SafeHtml } from '../../render/html.js';

export interface Choice {
  id: string;
  type: 'checkbox' | 'radio';
  name: string;
  value: string;
  checked: boolean;
  label: string;
}

/** One option as a pill-shaped label around its input. */
export function choice(option: Choice): SafeHtml {
  return html`<label class="choice" for="${option.id}"><input id="${option.id}" type="${option.type}" name="${option.name}" value="${option.value}"${attrs({ checked: option.checked })}> ${option.label}</label>`;
}

/** Checkboxes for topics, in a fieldset with a legend; empty when there is nothing to choose from. */
export function topicsFieldset(topics: string[], chosen: string[], hint: string): SafeHtml {
  if (topics.length === 0) return html``;
  const offered = [...new Set([...topics, ...chosen])];
  const boxes = offered.map((topic, i) =>
    choice({ id: `topic-${i}`, type: 'checkbox', name: 'topics', value: topic, checked: chosen.includes(topic), label: capitalise(topic) }));
  return html`<fieldset aria-describedby="topics-hint">
    <legend>Topics</legend>
    <span class="hint" id="topics-hint">${hint}</span>
    <div class="choices">
      ${joinHtml(boxes, html`\n      `)}
    </div>
  </fieldset>`;
}

/** An error summary that names every problem; `role="alert"` so screen readers announce it after a submit. */
export function errorSummary(messages: string[]): SafeHtml {
  if (messages.length === 0) return html``;
  return html`<div class="alert" role="alert"><strong>Please check the form:</strong><ul>${messages.map((m) => html`<li>${m}</li>`)}</ul></div>`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
