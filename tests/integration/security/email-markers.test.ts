// An article that tries to forge the per-reader markers, so that each reader's own unsubscribe and preferences links
// (or name) land inside the attacker's URL: sent through a running Herald to a real SMTP server, both parts read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const PAYLOADS = [
  'https://evil.example/u?to=%<span></span>%recipient.unsubscribeUrl%%',
  'https://evil.example/p?to=%<b></b>%recipient.preferencesUrl%%',
  '%<i></i>%recipient.name%%',
  '%%recipient.unsubscribeUrl%%',
  '%%<span>recipient.preferencesUrl</span>%%',
  '<a href="https://evil.example/a?to=%%recipient.unsubscribeUrl%%">claim your prize</a>',
];

let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('recipient markers', () => {
  it('cannot be forged from article content, in the text part nor the HTML part', async () => {
    await herald.api('/api/subscribers', { body: { email: 'marker-reader@example.com', name: 'Marker Reader', status: 'confirmed' } });
    const html = PAYLOADS.map((p) => `<p>${p}</p>`).join('');
    const published = await herald.api('/api/articles', {
      body: { ...articlePayload({ html, title: 'Prize %<span></span>%recipient.unsubscribeUrl%%' }), channels: ['email'] },
    });
    expect(published.status).toBe(201);
    const [message] = await eventually(async () => smtp.messages.length >= 1 && smtp.messages, 30_000, 'the edition');
    const text = message.parsed.text ?? '';
    const htmlPart = String(message.parsed.html);
    const unsubscribe = /https?:\/\/[^\s"<>\]]+\/unsubscribe\/[^\s"<>\]]+/.exec(text)?.[0];
    expect(unsubscribe, 'the real footer link').toBeDefined();

    for (const part of [text, htmlPart]) {
      // The reader's own links appear only as Herald put them: never after an attacker's URL.
      expect(part).not.toMatch(/evil\.example\/[a-z]\?to=https?:/);
      expect(part).not.toMatch(/evil\.example\/[^\s"<>]*\/(unsubscribe|preferences)\//);
      // The forged markers stay visible text; the reader's name was not filled into them.
      expect(part).toContain('recipient.unsubscribeUrl');
      expect(part).toContain('recipient.preferencesUrl');
      expect(part).toContain('recipient.name');
      expect(part.split('Marker Reader').length - 1, 'the name only in the greeting').toBe(1);
    }
    // Exactly one unsubscribe link in each part (the footer), and the same one as List-Unsubscribe.
    expect(text.match(/\/unsubscribe\//g)).toHaveLength(1);
    expect(htmlPart.match(/\/unsubscribe\//g)).toHaveLength(1);
    expect(message.raw.toString('latin1')).toContain(`List-Unsubscribe: <${unsubscribe}>`);
  });
});
