// What a mail client sees in a personalised message: exact headers, both parts decoded, each reader's own links.
import { simpleParser, type ParsedMail } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { PermanentFailure } from '../../../src/delivery/failure.js';
import { renderEdition, type EditionRenderOptions, type RenderedEdition } from '../../../src/email/edition-renderer.js';
import {
  compileMimeMessage,
  personalise,
  type CompiledMimeMessage,
  type MessageHeaders,
  type RecipientSlots,
} from '../../../src/email/mime-template.js';
import { loadFixtureArticle, type FixtureArticleName } from '../../support/fixtures.js';

const RENDER_OPTIONS: EditionRenderOptions = {
  listName: 'Herald Daily',
  postalAddress: 'Herald Media Ltd\n1 Press Row',
  viewInBrowserUrl: 'https://herald.example/editions/42',
};

const HEADERS: MessageHeaders = {
  from: '"Herald Daily" <news@herald.example>',
  listId: 'daily.herald.example',
  listName: 'Herald Daily',
  unsubscribeMailto: 'unsubscribe@herald.example',
};

const SENT_AT = new Date('2026-11-24T22:07:05.250Z');

function recipient(token: string, overrides: Partial<RecipientSlots> = {}): RecipientSlots {
  return {
    address: `${token}@example.org`,
    name: 'Ada Lovelace',
    messageId: `${token}.42@herald.example`,
    unsubscribeUrl: `https://herald.example/unsubscribe/${token}`,
    preferencesUrl: `https://herald.example/preferences/${token}`,
    ...overrides,
  };
}

const editions = new Map<FixtureArticleName, RenderedEdition>();
beforeAll(async () => {
  for (const name of ['seed-article', 'unicode-article', 'hostile-article', 'long-article'] as const) {
    editions.set(name, await renderEdition(loadFixtureArticle(name), RENDER_OPTIONS));
  }
});

function compile(name: FixtureArticleName, headers: MessageHeaders = HEADERS): CompiledMimeMessage {
  return compileMimeMessage(editions.get(name)!, headers);
}

/** Header fields of a raw message, unfolded, by lower-case name. */
function rawHeaders(raw: Buffer): Map<string, string[]> {
  const head = raw.toString('latin1').split('\r\n\r\n')[0].replace(/\r\n(?=[ \t])/g, '');
  const fields = new Map<string, string[]>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return fields;
}

function lineLengths(raw: Buffer): number[] {
  return raw.toString('latin1').split('\r\n').map((line) => Buffer.byteLength(line, 'latin1'));
}

const htmlOf = (mail: ParsedMail): string => (typeof mail.html === 'string' ? mail.html : '');

describe('personalise', () => {
  it('writes exactly the headers a list message needs', async () => {
    const raw = personalise(compile('seed-article'), recipient('tok-ada'), SENT_AT);
    const headers = rawHeaders(raw);

    expect(headers.get('from')).toEqual(['"Herald Daily" <news@herald.example>']);
    expect(headers.get('to')).toEqual(['"Ada Lovelace" <tok-ada@example.org>']);
    expect(headers.get('date')).toEqual(['Tue, 24 Nov 2026 22:07:05 +0000']);
    expect(headers.get('message-id')).toEqual(['<tok-ada.42@herald.example>']);
    expect(headers.get('mime-version')).toEqual(['1.0']);
    expect(headers.get('list-id')).toEqual(['"Herald Daily" <daily.herald.example>']);
    expect(headers.get('list-unsubscribe')).toEqual([
      '<https://herald.example/unsubscribe/tok-ada>, <mailto:unsubscribe@herald.example?subject=unsubscribe>',
    ]);
    expect(headers.get('list-unsubscribe-post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(headers.get('content-type')?.[0]).toMatch(/^multipart\/alternative; boundary="----=_Herald_[0-9a-f]{24}"$/);

    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('‘America, ISIS Accomplice:’ Audio Reveals US Talked With ISIS Before Bombing Syrian Forces!');
    expect(mail.from?.value).toEqual([{ name: 'Herald Daily', address: 'news@herald.example' }]);
    expect(mail.date?.toISOString()).toBe('2026-11-24T22:07:05.000Z');
  });

  it('puts text/plain before text/html, both UTF-8 quoted-printable, in 7-bit lines of at most 78 bytes', () => {
    const raw = personalise(compile('seed-article'), recipient('tok-ada'), SENT_AT).toString('latin1');

    const plain = raw.indexOf('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable');
    const html = raw.indexOf('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable');
    expect(plain).toBeGreaterThan(0);
    expect(html).toBeGreaterThan(plain);
    expect(raw).toMatch(/^[\x00-\x7f]*$/);
    expect(Math.max(...lineLengths(Buffer.from(raw, 'latin1')))).toBeLessThanOrEqual(78);
  });

  it("fills the reader's name and links into both parts, escaped for HTML", async () => {
    const raw = personalise(compile('seed-article'), recipient('tok-bob', { name: 'Bob <b>& "Co"' }), SENT_AT);
    const mail = await simpleParser(raw);

    expect(mail.to).toMatchObject({ value: [{ name: 'Bob <b>& "Co"', address: 'tok-bob@example.org' }] });
    expect(mail.text).toContain('Hi Bob <b>& "Co", here is the latest from Herald Daily.');
    expect(mail.text).toContain('Manage preferences [https://herald.example/preferences/tok-bob]');
    expect(mail.text).toContain('[https://herald.example/unsubscribe/tok-bob]');
    expect(mail.text).toContain('Almost sixty-two soldiers were dead due to the bombing');
    expect(htmlOf(mail)).toContain('Hi Bob &lt;b&gt;&amp; &quot;Co&quot;, here is the latest from Herald Daily.');
    expect(htmlOf(mail)).toContain('<a href="https://herald.example/preferences/tok-bob" style=');
    expect(htmlOf(mail)).toContain('<a href="https://herald.example/unsubscribe/tok-bob" style=');
    expect(htmlOf(mail)).toContain('<p>Almost sixty-two soldiers were dead due to the bombing');
    expect(htmlOf(mail)).not.toContain('%%recipient.');
    expect(mail.text).not.toContain('%%recipient.');
  });

  it('gives two readers their own links from the same compiled message', async () => {
    const compiled = compile('seed-article');
    const first = await simpleParser(personalise(compiled, recipient('tok-first'), SENT_AT));
    const second = await simpleParser(personalise(compiled, recipient('tok-second', { name: null }), SENT_AT));

    expect(first.headers.get('list')).toMatchObject({ unsubscribe: { url: 'https://herald.example/unsubscribe/tok-first' } });
    expect(second.headers.get('list')).toMatchObject({ unsubscribe: { url: 'https://herald.example/unsubscribe/tok-second' } });
    expect(htmlOf(first)).toContain('href="https://herald.example/unsubscribe/tok-first"');
    expect(htmlOf(second)).toContain('href="https://herald.example/unsubscribe/tok-second"');
    expect(htmlOf(second)).not.toContain('tok-first');
    expect(second.text).not.toContain('tok-first');
    expect(second.text).toContain('Hi there, here is the latest');
    expect(second.to).toMatchObject({ value: [{ name: '', address: 'tok-second@example.org' }] });
  });

  it('round-trips non-ASCII subjects, names and bodies', async () => {
    const compiled = compile('unicode-article');
    const zoe = await simpleParser(personalise(compiled, recipient('tok-zoe', { name: 'Zoë Ångström-Núñez' }), SENT_AT));
    const raw = personalise(compiled, recipient('tok-taro', { name: '山田 太郎', address: 'taro@例え.jp' }), SENT_AT);
    const taro = await simpleParser(raw);

    const title = '東京で開かれた気候サミット 🌍 — قمة المناخ في طوكيو: “Zürich’s” delegates say ½ of targets missed';
    expect(zoe.subject).toBe(title);
    expect(taro.subject).toBe(title);
    expect(zoe.to).toMatchObject({ value: [{ name: 'Zoë Ångström-Núñez', address: 'tok-zoe@example.org' }] });
    expect(taro.to).toMatchObject({ value: [{ name: '山田 太郎' }] });
    expect(rawHeaders(raw).get('to')?.[0]).toMatch(/^=\?UTF-8\?B\?.+\?= <taro@xn--r8jz45g\.jp>$/);
    expect(taro.text).toContain('Hi 山田 太郎, here is the latest');
    expect(taro.text).toContain('👨‍👩‍👧‍👦 Families marched outside & sang.');
    expect(htmlOf(taro)).toContain('<p dir="rtl">قمة المناخ في طوكيو</p>');
    expect(htmlOf(taro)).toContain(`<h1 style="margin:0;font-size:32px;line-height:1.2;font-weight:700;">`);
    expect(htmlOf(zoe)).toContain('Hi Zoë Ångström-Núñez, here is the latest');
    expect(raw.toString('latin1')).toMatch(/^[\x00-\x7f]*$/);
    expect(Math.max(...lineLengths(raw))).toBeLessThanOrEqual(78);
  });

  it('keeps the long article under Gmail clipping with the unsubscribe link and "Continue reading"', async () => {
    const raw = personalise(compile('long-article'), recipient('tok-long'), SENT_AT);
    const mail = await simpleParser(raw);

    expect(Buffer.byteLength(htmlOf(mail))).toBeLessThan(100_000);
    expect(htmlOf(mail)).toContain('href="https://herald.example/unsubscribe/tok-long"');
    expect(htmlOf(mail)).toMatch(/>\s*Continue reading\s*</);
    expect(mail.text).toContain('Continue reading');
    expect(Math.max(...lineLengths(raw))).toBeLessThanOrEqual(78);
  });

  it('delivers the hostile article with nothing executable and no injected header', async () => {
    const raw = personalise(
      compile('hostile-article'),
      recipient('tok-eve', { name: 'Eve\r\nBcc: attacker@evil.example\nX-Injected: 1' }),
      SENT_AT,
    );
    const mail = await simpleParser(raw);
    const headers = rawHeaders(raw);

    expect(htmlOf(mail)).not.toMatch(/<script/i);
    expect(htmlOf(mail)).not.toMatch(/<[^>]*\s(onerror|onclick)\s*=/i);
    expect(htmlOf(mail)).not.toMatch(/javascript:/i);
    expect(htmlOf(mail)).toContain('Breaking &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; news');
    expect(mail.subject).toBe("Breaking <script>alert('x')</script> news Bcc: victim@example.com");
    expect(headers.has('bcc')).toBe(false);
    expect(headers.has('x-injected')).toBe(false);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headers.has('x-injected')).toBe(false);
    expect(mail.bcc).toBeUndefined();
    expect(mail.to).toMatchObject({
      value: [{ name: 'Eve Bcc: attacker@evil.example X-Injected: 1', address: 'tok-eve@example.org' }],
    });
    expect(raw.toString('latin1')).not.toMatch(/\r\n(Bcc|X-Injected):/i);
    expect(Math.max(...lineLengths(raw))).toBeLessThanOrEqual(998);
  });

  it('offers only the HTTPS unsubscribe when no mailto is configured', () => {
    const raw = personalise(compile('seed-article', { ...HEADERS, unsubscribeMailto: undefined }), recipient('tok-ada'), SENT_AT);

    expect(rawHeaders(raw).get('list-unsubscribe')).toEqual(['<https://herald.example/unsubscribe/tok-ada>']);
  });

  it('encodes a non-ASCII sender name and list name', async () => {
    const raw = personalise(
      compile('seed-article', { ...HEADERS, from: '"Héraut Quotidien" <news@herald.example>', listName: 'Héraut Quotidien' }),
      recipient('tok-ada'),
      SENT_AT,
    );
    const mail = await simpleParser(raw);

    expect(mail.from?.value).toEqual([{ name: 'Héraut Quotidien', address: 'news@herald.example' }]);
    expect(rawHeaders(raw).get('from')).toEqual(['=?UTF-8?Q?H=C3=A9raut_Quotidien?= <news@herald.example>']);
    // RFC 2919 allows an encoded phrase; mailparser leaves List-Id phrases undecoded, so check the wire form.
    expect(rawHeaders(raw).get('list-id')).toEqual(['=?UTF-8?Q?H=C3=A9raut_Quotidien?= <daily.herald.example>']);
  });

  it('formats the Date once per second', () => {
    const compiled = compile('seed-article');
    const dateOf = (at: Date): string[] | undefined => rawHeaders(personalise(compiled, recipient('tok-ada'), at)).get('date');

    expect(dateOf(new Date('2026-11-24T22:07:05.999Z'))).toEqual(['Tue, 24 Nov 2026 22:07:05 +0000']);
    expect(dateOf(new Date('2026-11-24T22:07:06.000Z'))).toEqual(['Tue, 24 Nov 2026 22:07:06 +0000']);
  });

  it('refuses a Message-ID that would break the header', () => {
    const broken = recipient('tok-eve', { messageId: 'eve@herald.example>\r\nX-Injected: 1' });

    expect(() => personalise(compile('seed-article'), broken, SENT_AT)).toThrow(/Not a Message-ID/);
  });

  it('refuses an address it cannot write as a permanent failure', () => {
    const compiled = compile('seed-article');

    for (const address of ['not-an-address', 'jörg@example.org', 'a@b.org\r\nBcc: x@y.org']) {
      expect(() => personalise(compiled, recipient('tok-bad', { address }), SENT_AT)).toThrow(PermanentFailure);
    }
  });
});
