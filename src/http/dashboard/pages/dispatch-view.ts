// The live parts of the dispatch page (status, error, progress with waves, posts), rendered only here: into the page, and as the
// fragment GET /dispatches/:id/live that dispatch.js fetches every second and swaps in, part by part.
import { isFinal, isNotStarted } from '../../../dispatch/lifecycle.js';
import type { LiveProgress } from '../../../dispatch/live-progress.js';
import { count, statusBadge, statusLabel, time } from '../format.js';
import { html, type SafeHtml } from '../../../render/html.js';
import { networkName } from './publish-form.js';

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `about ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `about ${minutes} min` : `about ${Math.round(minutes / 60)} h`;
}

/** What the channel's line says besides its counts: not started, still preparing recipients, or how far it got. */
export function channelSummary(channel: LiveProgress['channels'][number], status: string, fannedOut: boolean | null): string {
  if (channel.total === 0 && isNotStarted(status)) return 'not started';
  const done = channel.total - channel.pending;
  const preparing = channel.channel === 'email' && fannedOut === false && (status === 'running' || status === 'paused');
  return `${count(done)} of ${count(channel.total)} done${preparing ? ' · preparing recipients…' : ''}`;
}

export function channelBlock(channel: LiveProgress['channels'][number], status: string, fannedOut: boolean | null): SafeHtml {
  const done = channel.total - channel.pending;
  const others = Object.entries(channel.counts).filter(([s]) => !['sent', 'failed', 'pending', 'sending'].includes(s));
  return html`<div class="channel" data-channel="${channel.channel}">
  <div class="channel-head"><h3>${networkName(channel.channel)}</h3>
    <span class="muted small">${channelSummary(channel, status, fannedOut)}</span></div>
  <progress max="${Math.max(channel.total, 1)}" value="${done}" aria-label="${networkName(channel.channel)}: ${count(done)} of ${count(channel.total)} done"></progress>
  <ul class="counts">
    <li><span class="dot sent" aria-hidden="true"></span>Sent <strong data-count="sent">${count(channel.sent)}</strong></li>
    <li><span class="dot failed" aria-hidden="true"></span>Failed <strong data-count="failed">${count(channel.failed)}</strong></li>
    <li><span class="dot pending" aria-hidden="true"></span>Pending <strong data-count="pending">${count(channel.pending)}</strong></li>
    ${others.map(([status, n]) => html`<li><span class="dot other" aria-hidden="true"></span>${statusLabel(status)} <strong>${count(n)}</strong></li>`)}
  </ul>
</div>`;
}

export function failuresTable(failures: LiveProgress['failures']): SafeHtml {
  if (failures.length === 0) return html`<p class="muted" data-no-failures>No failures.</p>`;
  return html`<div class="table-wrap"><table class="compact">
  <caption class="visually-hidden">Failures by reason</caption>
  <thead><tr><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col" class="num">Count</th><th scope="col">For example</th></tr></thead>
  <tbody>${failures.map((f) => html`<tr><td>${networkName(f.channel)}</td><td>${statusBadge(f.status === 'retrying' ? 'pending' : f.status)}${f.status === 'retrying' ? html` <span class="small muted">retrying</span>` : ''}</td><td class="reason">${f.reason}</td><td class="num">${count(f.count)}</td><td class="small">${f.examples.join(', ')}</td></tr>`)}</tbody>
</table></div>`;
}

export function postsList(posts: LiveProgress['posts']): SafeHtml {
  if (posts.length === 0) return html`<p class="muted">Composed when the dispatch starts.</p>`;
  return html`<ul class="posts">${posts.map((p) => html`<li>
  <div class="post-head"><strong>${networkName(p.channel)}</strong> ${statusBadge(p.status)}</div>
  ${p.parts
    ? html`<ol class="thread" aria-label="Posted as a thread of ${String(p.parts.length)} parts">${p.parts.map((part) => html`<li data-part="${String(part.position)}" data-state="${part.state}">
    <p class="post-text">${part.text}</p>${part.remoteUrl ? html` <a class="small" href="${part.remoteUrl}" rel="noopener noreferrer">Part ${String(part.position)}</a>` : ''}${part.state === 'sending' ? html` <span class="small warn">sent, no answer</span>` : ''}</li>`)}</ol>`
    : p.content ? html`<p class="post-text">${p.content}</p>` : ''}
  ${p.remoteUrl ? html`<a href="${p.remoteUrl}" rel="noopener noreferrer">View the post</a>` : ''}
  ${p.lastResponse && p.status !== 'sent' ? html`<p class="small muted">${p.lastResponse}</p>` : ''}
  ${p.retraction ? retractionLine(p.retraction, p.retractionNote) : ''}
</li>`)}</ul>`;
}

const RETRACTION_LABELS: Record<string, string> = {
  pending: 'Retraction: still live, being deleted',
  retracted: 'Retraction: deleted on the network',
  not_posted: 'Retraction: never posted, nothing to delete',
  live: 'Retraction: STILL LIVE',
};

/** What retracting the post came to, and why it is still live when it is. */
function retractionLine(retraction: string, note: string | null): SafeHtml {
  return html`<p class="small retraction ${retraction === 'live' ? 'warn' : 'muted'}" data-retraction="${retraction}">${RETRACTION_LABELS[retraction] ?? retraction}${note ? ` (${note})` : ''}</p>`;
}

export function factsList(live: LiveProgress): SafeHtml {
  return html`<dl class="facts">
  <div><dt>Scheduled</dt><dd data-fact="scheduledAt">${time(live.scheduledAt, 'immediately')}</dd></div>
  <div><dt>Priority</dt><dd data-fact="priority">${live.priority === 'breaking' ? 'Breaking news: ahead of everything queued' : 'Normal'}</dd></div>
  <div><dt>Started</dt><dd data-fact="startedAt">${time(live.startedAt)}</dd></div>
  <div><dt>Finished</dt><dd data-fact="completedAt">${time(live.completedAt)}</dd></div>
  <div><dt>Rate</dt><dd data-fact="rate">${live.rate ? `${live.rate}/s` : '—'}</dd></div>
  <div><dt>Time left</dt><dd data-fact="eta">${formatEta(live.etaSeconds)}</dd></div>
</dl>`;
}

/** Whether the page should keep asking: the dispatch can still change, or some of it is still going out. */
export function stillMoving(live: LiveProgress): boolean {
  return !isFinal(live.status) || live.channels.some((c) => c.pending > 0) || live.posts.some((p) => p.retraction === 'pending');
}

/** The status badge, in a polite live region (the region stays; only its content is swapped). */
export function statusPart(live: LiveProgress): SafeHtml {
  return html`<div class="status-box" aria-live="polite" data-live="status"><span class="visually-hidden">Status: </span>${statusBadge(live.status, { field: 'status' })}</div>`;
}

export function errorPart(live: LiveProgress): SafeHtml {
  return html`<div class="flash warn" role="status" data-live="error"${live.error ? '' : html` hidden`}>${live.error ?? ''}</div>`;
}

const WAVE_LABELS: Record<string, string> = { scheduled: 'waiting', fanning_out: 'sending', sent: 'sent', cancelled: 'cancelled' };

/** A local-time dispatch's waves: which zones, when, how far each got. */
export function wavesTable(live: LiveProgress): SafeHtml {
  if (!live.localTime) return html``;
  if (live.waves.length === 0) return html`<p class="muted" data-waves>Email at ${live.localTime} in each reader's zone: waves are planned when the dispatch starts.</p>`;
  return html`<div class="table-wrap" data-waves><table class="compact">
  <caption>Waves: email at ${live.localTime} in each reader's zone</caption>
  <thead><tr><th scope="col">Zones</th><th scope="col">Fires</th><th scope="col">State</th><th scope="col" class="num">Readers</th><th scope="col" class="num">Sent</th></tr></thead>
  <tbody>${live.waves.map((w) => html`<tr data-wave="${w.waveNo}" data-wave-status="${w.status}"><td class="small">${w.zones.join(', ')}</td><td>${time(w.fireAt)}</td><td>${WAVE_LABELS[w.status] ?? w.status}</td><td class="num">${count(w.recipients)}</td><td class="num">${count(w.counts.sent ?? 0)}</td></tr>`)}</tbody>
</table></div>`;
}

/** Facts, one block per channel, the waves of a local-time dispatch, and the failures by reason. */
export function progressPart(live: LiveProgress): SafeHtml {
  return html`<div data-live="progress">
    ${factsList(live)}
    <div class="channels">${live.channels.map((c) => channelBlock(c, live.status, live.emailFannedOut))}</div>
    ${wavesTable(live)}
    <h3>Failures</h3>
    ${failuresTable(live.failures)}
  </div>`;
}

export function postsPart(live: LiveProgress): SafeHtml {
  return html`<div data-live="posts">${postsList(live.posts)}</div>`;
}

/**
 * GET /dispatches/:id/live: every live part, and on the wrapper what the script needs besides them (the status,
 * for the actions it shows, and whether to ask again).
 */
export function liveFragment(live: LiveProgress): string {
  return html`<div data-live-fragment data-status="${live.status}" data-polling="${stillMoving(live) ? 'true' : 'false'}">
${statusPart(live)}
${errorPart(live)}
${progressPart(live)}
${postsPart(live)}
</div>`.value;
}
