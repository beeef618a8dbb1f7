// The hosted subscribe form (GET /subscribe, and POST /subscribe when the input needs fixing).
import { attrs, html } from '../../render/html.js';
import { errorSummary, topicsFieldset } from './form-parts.js';
import { publicLayout, type PageSettings } from './layout.js';
import { zoneScript } from './zone-script.js';

export interface SubscribeForm {
  email: string;
  name: string;
  /** Topics on offer, and the ones ticked. */
  topics: string[];
  chosenTopics: string[];
  /** Each problem as a sentence; an invalid address also marks its field. */
  errors: string[];
  emailInvalid: boolean;
}

/** The hidden "website" field is a honeypot for bots; the hidden "timezone" one gets the browser's zone. */
export function subscribePage(settings: PageSettings, form: SubscribeForm): string {
  return publicLayout(settings, 'Subscribe', html`<h1>Subscribe to ${settings.listName}</h1>
<p class="lede">The stories that matter, in your inbox. We send a confirmation link first, and every email has a one-click unsubscribe.</p>
${errorSummary(form.errors)}
<form method="post" action="subscribe">
  <div class="field">
    <label for="email">Email address</label>
    <input id="email" name="email" type="email" autocomplete="email" inputmode="email" required maxlength="320" value="${form.email}"${attrs({ 'aria-invalid': form.emailInvalid && 'true' })}>
  </div>
  <div class="field">
    <label for="name">Name <span class="optional">(optional)</span></label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="200" value="${form.name}">
  </div>
  ${topicsFieldset(form.topics, form.chosenTopics, 'Pick what interests you, or none to get everything.')}
  <input id="timezone" name="timezone" type="hidden" value="">
  <div class="hp" aria-hidden="true">
    <label for="website">Leave this field empty</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  <button class="button" type="submit">Subscribe</button>
  <p class="fineprint">We use your address only to send ${settings.listName}. You can change topics, frequency or leave at any time.</p>
</form>
${zoneScript()}
`);
}
