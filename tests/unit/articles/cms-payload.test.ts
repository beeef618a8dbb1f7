// Ghost and WordPress "post published" payloads as article payloads, and the webhook signature check.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { articleFromCms } from '../../../src/articles/cms-payload.js';
import { verifyCmsSignature } from '../../../src/http/routes/cms-webhook.js';

describe('articleFromCms', () => {
  it('maps a Ghost post.published webhook', () => {
    const result = articleFromCms({
      post: { current: { id: 'abc', title: 'T', html: '<p>h</p>', url: 'https://g.example/t/', excerpt: 'auto', custom_excerpt: null, feature_image: 'https://g.example/i.jpg', feature_image_alt: 'alt', tags: [{ name: 'A' }, { name: 'B' }], primary_tag: { name: 'A' }, primary_author: { name: 'Ann' }, status: 'published', published_at: '2026-03-01T10:00:00.000+01:00' }, previous: {} },
    });
    expect(result).toEqual({
      kind: 'article',
      source: 'ghost',
      payload: {
        externalId: 'ghost:abc', title: 'T', url: 'https://g.example/t/', excerpt: 'auto', html: '<p>h</p>', author: { name: 'Ann' },
        section: 'A', tags: ['A', 'B'], image: { url: 'https://g.example/i.jpg', alt: 'alt' }, publishedAt: '2026-03-01T09:00:00.000Z',
      },
    });
  });

  it('maps WordPress hook and REST shapes; post_date_gmt is UTC', () => {
    const hook = articleFromCms({ ID: 7, post_title: 'W', post_content: '<p>c</p>', post_status: 'publish', guid: 'https://w.example/?p=7', permalink: 'https://w.example/w', post_date_gmt: '2026-03-01 10:00:00', tags: 'x, y' });
    expect(hook).toMatchObject({ kind: 'article', source: 'wordpress', payload: { externalId: 'https://w.example/?p=7', url: 'https://w.example/w', tags: ['x', 'y'], publishedAt: '2026-03-01T10:00:00.000Z' } });
    const rest = articleFromCms({ id: 8, title: { rendered: 'R' }, content: { rendered: '<p>r</p>' }, link: 'https://w.example/r', status: 'publish', type: 'post', guid: { rendered: 'https://w.example/?p=8' } });
    expect(rest).toMatchObject({ kind: 'article', payload: { title: 'R', html: '<p>r</p>', externalId: 'https://w.example/?p=8' } });
  });

  it('reads Ghost post.unpublished and post.deleted, and WordPress draft/private/trash, as withdrawn', () => {
    const unpublished = articleFromCms({ post: { current: { id: 'g1', status: 'draft', title: 'T' }, previous: { status: 'published' } } });
    expect(unpublished).toEqual({ kind: 'withdrawn', source: 'ghost', externalId: 'ghost:g1', reason: 'the post was unpublished in Ghost (now draft)' });
    const deleted = articleFromCms({ post: { current: {}, previous: { id: 'g2', title: 'T', status: 'published' } } });
    expect(deleted).toEqual({ kind: 'withdrawn', source: 'ghost', externalId: 'ghost:g2', reason: 'the post was deleted in Ghost' });
    // An edit of a published post (previous holds only what changed) is a publish, as before.
    expect(articleFromCms({ post: { current: { id: 'g3', status: 'published', title: 'T', url: 'https://g.example/', html: '' }, previous: { title: 'Old' } } }))
      .toMatchObject({ kind: 'article', payload: { externalId: 'ghost:g3' } });
    for (const status of ['draft', 'private', 'trash']) {
      expect(articleFromCms({ ID: 9, post_title: 'W', post_status: status, post_type: 'post', guid: 'https://w.example/?p=9' }))
        .toEqual({ kind: 'withdrawn', source: 'wordpress', externalId: 'https://w.example/?p=9', reason: `the post was moved to ${status} in WordPress` });
    }
    expect(articleFromCms({ ID: 10, post_title: 'P', post_status: 'trash', post_type: 'page' })).toMatchObject({ kind: 'ignored' });
    expect(articleFromCms({ ID: 11, post_title: 'F', post_status: 'future', post_type: 'post' })).toMatchObject({ kind: 'ignored' });
  });

  it('ignores drafts and pages, and does not recognise other JSON', () => {
    expect(articleFromCms({ post: { current: { id: 'a', status: 'draft' } } })).toMatchObject({ kind: 'ignored', reason: 'post status is draft' });
    expect(articleFromCms({ ID: 1, post_title: 'p', post_status: 'publish', post_type: 'page' })).toMatchObject({ kind: 'ignored' });
    expect(articleFromCms({ hello: 'world' })).toEqual({ kind: 'unrecognised' });
    expect(articleFromCms('text')).toEqual({ kind: 'unrecognised' });
  });
});

describe('verifyCmsSignature', () => {
  const secret = 's'.repeat(20);
  const body = Buffer.from('{"a":1}');
  const hex = (data: string | Buffer) => createHmac('sha256', secret).update(data).digest('hex');

  it('accepts sha256=<hex> of the body in X-Herald-Signature or X-Hub-Signature-256, and Ghost’s body+t form', () => {
    expect(verifyCmsSignature(body, { 'x-herald-signature': `sha256=${hex(body)}` }, secret)).toBe(true);
    expect(verifyCmsSignature(body, { 'x-hub-signature-256': hex(body).toUpperCase() }, secret)).toBe(true);
    expect(verifyCmsSignature(body, { 'x-ghost-signature': `sha256=${hex('{"a":1}123')}, t=123` }, secret, 123)).toBe(true);
  });

  it('refuses a wrong, malformed or missing signature', () => {
    expect(verifyCmsSignature(body, { 'x-herald-signature': `sha256=${hex('{"a":2}')}` }, secret)).toBe(false);
    expect(verifyCmsSignature(body, { 'x-herald-signature': 'sha256=abc' }, secret)).toBe(false);
    expect(verifyCmsSignature(body, { 'x-ghost-signature': `sha256=${hex(body)}, t=123` }, secret, 123)).toBe(false);
    expect(verifyCmsSignature(body, {}, secret)).toBe(false);
  });
});
