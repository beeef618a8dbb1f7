// The subscribe form's one script: fills the hidden `timezone` field with the browser's IANA zone. Inline, allowed by
// its hash in the public pages' Content-Security-Policy, so no other script can run there.
import { createHash } from 'node:crypto';
import { trusted, type SafeHtml } from '../../render/html.js';

const SOURCE = "try{document.getElementById('timezone').value=Intl.DateTimeFormat().resolvedOptions().timeZone||''}catch(e){}";

/** The CSP source that allows exactly this script. */
export const ZONE_SCRIPT_CSP = `'sha256-${createHash('sha256').update(SOURCE).digest('base64')}'`;

export function zoneScript(): SafeHtml {
  return trusted(`<script>${SOURCE}</script>`);
}
