// The preferences page (GET/POST /preferences/:token): name, address, topics, frequency, time zone, pause.
import { attrs, html, joinHtml } from '../../render/html.js';
import { choice, errorSummary, topicsFieldset } from './form-parts.js';
import { publicLayout, type PageSettings } from './layout.js';

const CADENCES = [
  { value: 'instant', label: 'Every story, as it is published' },
  { value: 'daily', label: 'A daily digest' },
  { value: 'weekly', label: 'A weekly digest' },
] as const;

export interface PreferencesForm {
  /** Where the form POSTs (the page's own token URL). */
  action: string;
  name: string;
  email: string;
  /** Topics on offer, and the ones ticked. */
  topics: string[];
  chosenTopics: string[];
  cadence: string;
  paused: boolean;
  /** The reader's zone; '' for the installation's (`defaultZone`). */
  timezone: string;
  defaultZone: string;
  unsubscribeUrl: string;
  /** Each problem as a sentence; an invalid address also marks its field. */
  errors: string[];
  emailInvalid: boolean;
  /** What just happened ("saved"), announced politely. */
  notices: string[];
}

export function preferencesPage(settings: PageSettings, form: PreferencesForm): string {
  const cadences = CADENCES.map(({ value, label }) =>
    choice({ id: `cadence-${value}`, type: 'radio', name: 'cadence', value, checked: form.cadence === value, label }));
  return publicLayout(settings, 'Your preferences', html`<h1>Your preferences</h1>
<p class="lede">For ${form.email}.</p>
${errorSummary(form.errors)}${form.notices.map((n) => html`<div class="status" role="status">${n}</div>`)}
<form method="post" action="${form.action}">
  <div class="field">
    <label for="name">Name <span class="optional">(optional)</span></label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="200" value="${form.name}">
  </div>
  <div class="field">
    <label for="email">Email address</label>
    <span class="hint" id="email-hint">Change it and we send a confirmation link to the new address first.</span>
    <input id="email" name="email" type="email" autocomplete="email" maxlength="320" value="${form.email}" aria-describedby="email-hint"${attrs({ 'aria-invalid': form.emailInvalid && 'true' })}>
  </div>
  ${topicsFieldset(form.topics, form.chosenTopics, 'Tick none to get every story.')}
  <fieldset>
    <legend>How often</legend>
    <div class="stack">${joinHtml(cadences, html`\n    `)}</div>
  </fieldset>
  <div class="field">
    <label for="timezone">Time zone</label>
    <span class="hint" id="timezone-hint">Emails sent "at 7:00 local time" and digests arrive at that time here.</span>
    <select id="timezone" name="timezone" aria-describedby="timezone-hint">
      <option value=""${attrs({ selected: form.timezone === '' })}>The newsletter's (${form.defaultZone})</option>
      ${joinHtml(['UTC', ...Intl.supportedValuesOf('timeZone')].map((zone) => html`<option${attrs({ selected: form.timezone === zone })}>${zone}</option>`), html``)}
    </select>
  </div>
  <fieldset>
    <legend>Pause</legend>
    <label class="choice"><input type="checkbox" name="paused" value="on"${attrs({ checked: form.paused })}> Pause all emails for now</label>
  </fieldset>
  <div class="actions">
    <button class="button" type="submit">Save preferences</button>
    <a href="${form.unsubscribeUrl}">Unsubscribe</a>
  </div>
</form>
`);
}
