// Small helpers for driving the public subscriber pages over HTTP the way a browser or a mail client would.
import type { ReceivedMessage } from '../smtp-sink.js';

/** POSTs an HTML form (application/x-www-form-urlencoded); arrays become repeated fields. */
export function postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of ([] as string[]).concat(value)) body.append(key, v);
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The first link in the message's text part whose path starts with `/${route}/`. */
export function linkIn(message: ReceivedMessage, route: string): string {
  const match = new RegExp(`https?://[^\\s<>"]+/${route}/[A-Za-z0-9._-]+`).exec(message.parsed.text ?? '');
  if (!match) throw new Error(`no /${route}/ link in: ${message.parsed.text}`);
  return match[0];
}

/** The https/http URL in the List-Unsubscribe header of a delivered message. */
export function listUnsubscribeUrl(message: ReceivedMessage): string {
  // mailparser files List-* headers under "list"; the raw line is the plainest source.
  const line = message.parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
  const url = /<(https?:[^>]+)>/.exec(line.replace(/\r?\n[ \t]+/g, ' '))?.[1];
  if (!url) throw new Error('message has no List-Unsubscribe URL');
  return url;
}

/** Messages delivered to `address`, in arrival order. */
export function messagesTo(messages: ReceivedMessage[], address: string): ReceivedMessage[] {
  return messages.filter((m) => m.envelopeTo.includes(address.toLowerCase()));
}
