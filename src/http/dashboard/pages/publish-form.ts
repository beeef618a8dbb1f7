// The publish form: an article by its fields or pasted as the JSON a CMS sends, each with an optional schedule,
// and every network's post measured live (publish.js calls POST /api/social/preview as the editor types).
import type { FastifyRequest } from 'fastify';
import { channelNames } from '../../../articles/article-input.js';
import { channelLabel, NETWORK_NAMES } from '../../../social/networks.js';
import type { SocialAccounts } from '../../../social/social-accounts.js';
import { timeZoneOptions } from '../format.js';
import { attrs, html, type SafeHtml } from '../../../render/html.js';
import { csrfField } from '../layout.js';

export const SOCIAL_NETWORKS = NETWORK_NAMES;
export const networkName = channelLabel;

/** What the editor typed, echoed back when the form has problems. */
export type PublishValues = Record<string, string | string[] | undefined>;

export interface FormProblem {
  path: string;
  message: string;
}

const value = (values: PublishValues, key: string) => {
  const v = values[key];
  return Array.isArray(v) ? v[0] ?? '' : v ?? '';
};

function field(values: PublishValues, problems: FormProblem[], name: string, label: string, options: { type?: string; hint?: string; required?: boolean; path?: string; textarea?: number; placeholder?: string } = {}): SafeHtml {
  const problem = problems.find((p) => p.path === (options.path ?? name) || p.path.startsWith(`${options.path ?? name}.`));
  const id = `f-${name}`;
  const described = [options.hint ? `${id}-hint` : '', problem ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = attrs({ id, name, required: options.required, 'aria-invalid': problem ? 'true' : undefined, 'aria-describedby': described, placeholder: options.placeholder });
  return html`<div class="field">
  <label for="${id}">${label}${options.required ? '' : html` <span class="optional">(optional)</span>`}</label>
  ${options.hint ? html`<span class="hint" id="${id}-hint">${options.hint}</span>` : ''}
  ${problem ? html`<span class="field-error" id="${id}-error">${problem.message}</span>` : ''}
  ${options.textarea
    ? html`<textarea${common} rows="${options.textarea}">${value(values, name)}</textarea>`
    : html`<input${common} type="${options.type ?? 'text'}" value="${value(values, name)}">`}
</div>`;
}

export function scheduleFieldset(values: PublishValues, problems: FormProblem[], prefix: string): SafeHtml {
  const later = value(values, 'when') === 'later';
  const problem = problems.find((p) => p.path.startsWith('schedule'));
  return html`<fieldset class="schedule" data-schedule>
  <legend>When</legend>
  <div class="choices">
    <label class="choice"><input type="radio" name="when" value="now"${later ? '' : html` checked`}> Send now</label>
    <label class="choice"><input type="radio" name="when" value="later"${later ? html` checked` : ''}> Schedule</label>
  </div>
  ${problem ? html`<span class="field-error" id="${prefix}-schedule-error">${problem.message}</span>` : ''}
  <div class="inline-fields">
    <div class="field"><label for="${prefix}-at">Date and time</label>
      <input id="${prefix}-at" name="at" type="datetime-local" step="1" value="${value(values, 'at')}"${problem ? html` aria-invalid="true" aria-describedby="${prefix}-schedule-error"` : ''}></div>
    <div class="field"><label for="${prefix}-timezone">Time zone</label>
      <select id="${prefix}-timezone" name="timezone" data-timezone>${timeZoneOptions(value(values, 'timezone') || 'UTC')}</select></div>
  </div>
  <div class="field"><label for="${prefix}-local-time">Email at each reader's local time <span class="muted small">(optional, e.g. 07:00)</span></label>
    <input id="${prefix}-local-time" name="localTime" type="time" value="${value(values, 'localTime')}"></div>
  <label class="choice"><input type="checkbox" name="priority" value="breaking"${value(values, 'priority') === 'breaking' ? html` checked` : ''}> Breaking news: send ahead of everything queued</label>
</fieldset>`;
}

export function channelsFieldset(values: PublishValues, social: SocialAccounts): SafeHtml {
  const chosen = values.channels === undefined ? [...channelNames] : ([] as string[]).concat(values.channels);
  const mode = (channel: string) => {
    if (channel === 'email') return 'to confirmed subscribers';
    return social.get(channel as (typeof SOCIAL_NETWORKS)[number]).channel ? 'posts' : 'preview only (no credentials)';
  };
  return html`<fieldset>
  <legend>Channels</legend>
  <div class="choices">${channelNames.map((channel) => html`<label class="choice"><input type="checkbox" name="channels" value="${channel}"${chosen.includes(channel) ? html` checked` : ''}> ${networkName(channel)} <span class="muted small">${mode(channel)}</span></label>`)}</div>
</fieldset>`;
}

/** One block per network: the post that will go out, its count against the limit, and the editor's own text. */
export function socialPanel(values: PublishValues, problems: FormProblem[]): SafeHtml {
  return html`<section class="social-panel" aria-labelledby="social-heading" data-social-preview>
  <h2 id="social-heading">Social posts</h2>
  <p class="hint">Composed from the article as you type. Write your own text to replace a network's post; the count follows each network's rules.</p>
  ${SOCIAL_NETWORKS.map((network) => {
    const problem = problems.find((p) => p.path === `socialTexts.${network}`);
    return html`<div class="post-preview" data-network="${network}">
    <div class="post-head"><h3>${networkName(network)}</h3><span class="count" data-count aria-live="polite">—</span></div>
    <p class="post-text" data-text>Type a title and URL to see this post.</p>
    <label for="social-${network}">Your own ${networkName(network)} post <span class="optional">(optional)</span></label>
    ${problem ? html`<span class="field-error" id="social-${network}-error">${problem.message}</span>` : ''}
    <textarea id="social-${network}" name="social_${network}" rows="3" data-override${problem ? html` aria-invalid="true" aria-describedby="social-${network}-error"` : ''}>${value(values, `social_${network}`)}</textarea>
  </div>`;
  })}
  <p class="muted small" data-preview-status aria-live="polite"></p>
</section>`;
}

export function publishForms(request: FastifyRequest, social: SocialAccounts, values: PublishValues, problems: FormProblem[]): SafeHtml {
  const mode = value(values, 'mode') === 'json' ? 'json' : 'fields';
  const fieldsValues = mode === 'fields' ? values : {};
  const jsonValues = mode === 'json' ? values : {};
  const fieldProblems = mode === 'fields' ? problems : [];
  const jsonProblems = mode === 'json' ? problems : [];
  return html`<div class="publish-grid">
<form method="post" action="/publish" class="card" id="fields-form" data-publish-form novalidate>
  ${csrfField(request)}<input type="hidden" name="mode" value="fields">
  <h2>Write</h2>
  ${field(fieldsValues, fieldProblems, 'title', 'Title', { required: true })}
  ${field(fieldsValues, fieldProblems, 'url', 'Article URL', { type: 'url', required: true, hint: 'Where the article lives on your site; every post links here.' })}
  ${field(fieldsValues, fieldProblems, 'excerpt', 'Excerpt', { textarea: 3, hint: 'Shown in the inbox preview and used by the social posts.' })}
  ${field(fieldsValues, fieldProblems, 'html', 'Body (HTML)', { textarea: 8, hint: 'Cleaned on the way in: scripts, styles and event handlers are removed.' })}
  <div class="inline-fields">
    ${field(fieldsValues, fieldProblems, 'author', 'Author', { path: 'author.name' })}
    ${field(fieldsValues, fieldProblems, 'section', 'Section')}
  </div>
  ${field(fieldsValues, fieldProblems, 'tags', 'Tags', { hint: 'Comma-separated; subscribers pick topics from sections and tags.' })}
  <div class="inline-fields">
    ${field(fieldsValues, fieldProblems, 'image', 'Lead image URL', { type: 'url', path: 'image.url' })}
    ${field(fieldsValues, fieldProblems, 'imageAlt', 'Image description', { path: 'image.alt' })}
  </div>
  ${field(fieldsValues, fieldProblems, 'externalId', 'External id', { hint: 'Your CMS id for this article; publishing the same id again sends nothing. Left empty, Herald makes one.' })}
  ${channelsFieldset(fieldsValues, social)}
  ${scheduleFieldset(fieldsValues, fieldProblems, 'fields')}
  ${socialPanel(fieldsValues, fieldProblems)}
  <div class="actions"><button class="button primary" type="submit">Publish</button></div>
</form>
<form method="post" action="/publish" class="card" id="json-form" novalidate>
  ${csrfField(request)}<input type="hidden" name="mode" value="json">
  <h2>Paste JSON</h2>
  <p class="hint">The article as a CMS sends it to <code>POST /api/articles</code> (externalId, title, url, html, …). A schedule chosen here replaces one in the JSON.</p>
  ${field(jsonValues, jsonProblems.filter((p) => !p.path.startsWith('schedule')).map((p) => ({ path: 'json', message: p.path === 'json' ? p.message : `${p.path}: ${p.message}` })), 'json', 'Article JSON', { textarea: 14, required: true })}
  ${scheduleFieldset(jsonValues, jsonProblems, 'json')}
  <div class="actions"><button class="button primary" type="submit">Publish JSON</button></div>
</form>
</div>`;
}
