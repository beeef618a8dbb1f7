// A reader's whole journey over HTTP and real SMTP: subscribe on the hosted page, confirm from the mail, receive an
// edition, leave with RFC 8058 one-click from that edition's header, and come back only through a fresh confirmation.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { linkIn, listUnsubscribeUrl, messagesTo, postForm, postJson } from '../support/subscribers/http.js';

let smtp: SmtpSink;
let herald: TestHerald;
const reader = 'Reader.One@Example.com';
const address = 'reader.one@example.com';

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, LIST_NAME: 'Herald Daily', HERALD_TOPICS: 'nation,sports,culture' } });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

async function subscriber(email: string) {
  return herald.ctx.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
}

async function events(subscriberId: number) {
  return herald.ctx.db.selectFrom('events').select(['event', 'fromStatus', 'toStatus', 'cause'])
    .where('subjectType', '=', 'subscriber').where('subjectId', '=', String(subscriberId)).orderBy('id').execute();
}

async function publishAndWait(overrides: Record<string, unknown> = {}) {
  const response = await herald.api('/api/articles', { body: { ...articlePayload(overrides), channels: ['email'] } });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed',
    30_000, `dispatch ${dispatch.id} to complete`);
  return dispatch.id as number;
}

describe('the hosted subscribe page', () => {
  it('is a self-contained, labelled form that posts back to /subscribe', async () => {
    const response = await fetch(`${herald.baseUrl}/subscribe`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('<label for="email">Email address</label>');
    expect(html).toMatch(/<input id="email" name="email" type="email"[^>]*required/);
    expect(html).toContain('<legend>Topics</legend>');
    expect(html).toContain('value="sports"');
    expect(html).toMatch(/<form method="post" action="subscribe">/);
    // Nothing loaded from elsewhere: no script files, no external stylesheets or fonts.
    expect(html).not.toMatch(/<script[^>]+src|<link[^>]+stylesheet|src="https?:/i);
    // One inline script, filling the hidden time-zone field, and the policy allows exactly it (by its hash).
    const scripts = [...html.matchAll(/<script>([^<]*)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toContain("getElementById('timezone')");
    const hash = `'sha256-${createHash('sha256').update(scripts[0]).digest('base64')}'`;
    expect(response.headers.get('content-security-policy')).toContain(`script-src ${hash};`);
    expect(html).toContain('<input id="timezone" name="timezone" type="hidden" value="">');
  });
});

describe('subscribe → confirm → edition → one-click unsubscribe', () => {
  let confirmUrl: string;
  let subscriberId: number;

  // One journey: each step needs the state the step before left, so it is one test.
  it('takes a reader from the form to the inbox, out with one click, and back only through a fresh confirmation', async () => {
    // Answers the form with a "check your inbox" page and mails a confirmation link.
    {
      const response = await postForm(`${herald.baseUrl}/subscribe`, { email: `  ${reader} `, name: 'Reader One', topics: ['sports', 'nation'] });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Check your inbox');

      const row = await subscriber(address);
      expect(row).toMatchObject({ status: 'pending', name: 'Reader One', source: 'form' });
      expect([...row!.topics].sort()).toEqual(['nation', 'sports']);
      subscriberId = row!.id;

      const [mail] = await eventually(async () => messagesTo(smtp.messages, address).length === 1 && messagesTo(smtp.messages, address));
      expect(mail.parsed.subject).toBe('Confirm your subscription to Herald Daily');
      confirmUrl = linkIn(mail, 'confirm');
      expect(confirmUrl.startsWith(`${herald.baseUrl}/confirm/`)).toBe(true);
    }

    // Shows a button on GET and changes nothing, so a link scanner cannot confirm.
    {
      const page = await fetch(confirmUrl);
      expect(page.status).toBe(200);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).toMatch(/<form method="post" action="\.\/c\.[^"]+">/);
      expect(html).toContain('Confirm subscription');
      expect((await subscriber(address))?.status).toBe('pending');
    }

    // Confirms on POST, once.
    {
      const confirmed = await fetch(confirmUrl, { method: 'POST' });
      expect(confirmed.status).toBe(200);
      expect(await confirmed.text()).toContain('You are subscribed');
      expect((await subscriber(address))?.status).toBe('confirmed');
      expect(await events(subscriberId)).toContainEqual({ event: 'subscriber.status', fromStatus: 'pending', toStatus: 'confirmed', cause: 'link' });

      const again = await fetch(confirmUrl, { method: 'POST' });
      expect(again.status).toBe(410);
      expect(await again.text()).toContain('already been used');
    }

    let unsubscribeUrl: string;

    // Delivers the next edition, with a one-click List-Unsubscribe URL.
    {
      await publishAndWait({ title: 'Cup final tonight', section: 'Sports', tags: [] });
      const received = messagesTo(smtp.messages, address);
      expect(received.map((m) => m.parsed.subject)).toEqual(['Confirm your subscription to Herald Daily', 'Cup final tonight']);
      unsubscribeUrl = listUnsubscribeUrl(received[1]);
      expect(unsubscribeUrl.startsWith(`${herald.baseUrl}/unsubscribe/u.`)).toBe(true);
      expect(received[1].raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    }

    // Unsubscribes at once when the URL is POSTed as RFC 8058 says, without cookies or session.
    {
      const response = await fetch(unsubscribeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(response.status).toBe(200);
      expect((await subscriber(address))?.status).toBe('unsubscribed');
      expect(await events(subscriberId)).toContainEqual({ event: 'subscriber.status', fromStatus: 'confirmed', toStatus: 'unsubscribed', cause: 'one-click' });
    }

    // Sends nothing more to that address.
    {
      const before = smtp.messages.length;
      await publishAndWait({ title: 'Second edition', section: 'Sports', tags: [] });
      expect(messagesTo(smtp.messages, address)).toHaveLength(2);
      expect(smtp.messages.length).toBe(before);
    }

    // Re-subscribing mails a fresh confirmation but re-activates nothing until it is clicked.
    {
      const response = await postForm(`${herald.baseUrl}/subscribe`, { email: address });
      expect(response.status).toBe(200);
      const mails = await eventually(async () => messagesTo(smtp.messages, address).length === 3 && messagesTo(smtp.messages, address));
      expect((await subscriber(address))?.status).toBe('unsubscribed');

      const fresh = linkIn(mails[2], 'confirm');
      expect(fresh).not.toBe(confirmUrl);
      expect((await fetch(confirmUrl, { method: 'POST' })).status).toBe(410);
      expect((await subscriber(address))?.status).toBe('unsubscribed');

      expect((await fetch(fresh, { method: 'POST' })).status).toBe(200);
      expect((await subscriber(address))?.status).toBe('confirmed');
      expect((await events(subscriberId)).map((e) => e.cause)).toEqual(['form', 'link', 'one-click', 'form', 'link']);
    }
  }, 120_000);
});

describe('no list enumeration', () => {
  it('answers a known and an unknown address identically', async () => {
    const address = 'already-here@example.com';
    expect((await herald.api('/api/subscribers', { body: { email: address, status: 'confirmed' } })).status).toBe(201);
    const known = await postJson(`${herald.baseUrl}/subscribe`, { email: address });
    const unknown = await postJson(`${herald.baseUrl}/subscribe`, { email: 'never-seen@example.com', topics: 'culture' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.text()).toBe(await unknown.text());
    expect((await subscriber('never-seen@example.com'))?.topics).toEqual(['culture']);
    // The known (confirmed) address hears that nothing changed, with a way to its preferences.
    const note = await eventually(async () => messagesTo(smtp.messages, address).find((m) => /already subscribed/.test(m.parsed.subject ?? '')));
    expect(linkIn(note, 'preferences')).toMatch(/\/preferences\/p\./);
  });

  it('gives a bot that fills the hidden field the usual answer and does nothing', async () => {
    const response = await postForm(`${herald.baseUrl}/subscribe`, { email: 'bot@example.com', website: 'http://spam.example' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Check your inbox');
    expect(await subscriber('bot@example.com')).toBeUndefined();
  });

  it('answers an invalid address with 400 and the offending field', async () => {
    const json = await postJson(`${herald.baseUrl}/subscribe`, { email: 'not-an-address' });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid body', code: 'invalid_input', issues: [{ path: 'email', message: 'must be a valid email address' }] });

    const form = await postForm(`${herald.baseUrl}/subscribe`, { email: 'not-an-address', name: 'Kept <b>' });
    expect(form.status).toBe(400);
    const html = await form.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('value="Kept &lt;b&gt;"');
  });
});
