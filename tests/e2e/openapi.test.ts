// The OpenAPI document describes what the API really answers: a walk over every documented operation validates
// each real answer (successes and errors) against the document's response schema for its status.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { eventually, startTestHerald, type ApiResponse, type TestHerald } from '../support/herald.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };

let herald: TestHerald;
let doc: Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const walked = new Set<string>();

beforeAll(async () => {
  herald = await startTestHerald({ workers: true });
  const response = await herald.api('/api/openapi.json', { token: null });
  expect(response.status).toBe(200);
  doc = await response.json();
  ajv.addSchema({ $id: 'herald-openapi', components: doc.components });
});
afterAll(() => herald?.stop());

/** The documented operation for a real path, e.g. /api/articles/7 → /api/articles/{id}. */
function operationFor(method: string, path: string) {
  const bare = path.split('?')[0];
  const template = Object.keys(doc.paths).find((candidate) => {
    const pattern = new RegExp(`^${candidate.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return pattern.test(bare) && doc.paths[candidate][method.toLowerCase()];
  });
  if (!template) throw new Error(`${method} ${bare} is not in the OpenAPI document`);
  return { key: `${method.toUpperCase()} ${template}`, operation: doc.paths[template][method.toLowerCase()] };
}

/** Calls the API and checks the answer against the document; returns the parsed body. */
async function call(method: string, path: string, init: Parameters<TestHerald['api']>[1] = {}) {
  const response: ApiResponse = await herald.api(path, { ...init, method });
  const { key, operation } = operationFor(method, path);
  walked.add(key);
  const documented = operation.responses[String(response.status)];
  expect(documented, `${key} answered ${response.status}, which the document does not list`).toBeDefined();
  if (response.status === 204) return { status: 204, body: undefined };
  const type = response.headers.get('content-type') ?? '';
  const [mediaType, content] = Object.entries(documented.content ?? {})[0] as [string, { schema: unknown }];
  expect(type.startsWith(mediaType), `${key} ${response.status}: content-type ${type}, documented ${mediaType}`).toBe(true);
  if (!mediaType.endsWith('json')) return { status: response.status, body: await response.text() };
  const body = await response.json();
  const schema = JSON.parse(JSON.stringify(content.schema).replaceAll('"#/components/', '"herald-openapi#/components/'));
  const validate = ajv.compile(schema);
  expect(validate(body), `${key} ${response.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`).toBe(true);
  return { status: response.status, body };
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists only the editor API, each operation with its error answers', () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'Herald editor API' } });
    const paths = Object.keys(doc.paths);
    expect(paths.every((p) => p.startsWith('/api/'))).toBe(true);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(operation.responses['401'], `${method} ${path}`).toBeDefined();
        expect(operation.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      }
    }
    expect(doc.components.schemas.Error).toMatchObject({ properties: { code: { enum: expect.arrayContaining(['invalid_input', 'not_found']) } } });
  });

  it('describes every real answer of the API', async () => {
    // Articles, subscribers and a dispatch that goes out to one reader.
    const subscriber = await call('POST', '/api/subscribers', { body: { email: 'reader@example.org', name: 'Reader', status: 'confirmed' } });
    expect(subscriber.status).toBe(201);
    await call('POST', '/api/subscribers', { body: { email: 'reader@example.org' } }); // 409
    await call('POST', '/api/subscribers', { body: { email: 'not an address' } }); // 400
    const payload = articlePayload({ channels: ['email', 'mastodon'] });
    const published = await call('POST', '/api/articles', { body: payload });
    expect(published.status).toBe(201);
    expect((await call('POST', '/api/articles', { body: payload })).status).toBe(200);
    const articleId = published.body.id;
    const dispatchId = published.body.dispatch.id;
    await call('GET', '/api/articles?limit=1');
    await call('GET', `/api/articles/${articleId}`);
    await call('GET', '/api/articles/99999999'); // 404
    await call('GET', '/api/articles', { token: null }); // 401
    await call('GET', '/api/articles?cursor=nonsense'); // 400
    await call('GET', '/api/subscribers?q=reader');
    await call('GET', '/api/subscribers/export');
    await call('POST', '/api/social/preview', { body: { articleId } });
    await call('POST', '/api/social/preview', { body: { articleId: 99999999 } }); // 404

    await eventually(async () => (await herald.api(`/api/dispatches/${dispatchId}`).then((r) => r.json())).status === 'completed', 30_000, 'dispatch completed');
    await call('GET', `/api/dispatches?article=${articleId}`);
    await call('GET', `/api/dispatches/${dispatchId}`);
    await call('GET', `/api/dispatches/${dispatchId}/live`);
    await call('GET', `/api/dispatches/${dispatchId}/report`);
    await call('GET', '/api/dispatches/99999999/report'); // 404
    await call('GET', `/api/dispatches/${dispatchId}/report?bucketMinutes=7`); // 400
    await call('GET', '/api/subscribers/history?days=7');
    await call('GET', '/api/subscribers/history?days=0'); // 400
    await call('PATCH', `/api/dispatches/${dispatchId}`, { body: { subject: 'Too late' } }); // 409
    await call('POST', `/api/dispatches/${dispatchId}/cancel`); // 409
    await call('POST', `/api/dispatches/${dispatchId}/pause`); // 409
    await call('POST', `/api/dispatches/${dispatchId}/resume`); // 409
    await call('POST', `/api/dispatches/${dispatchId}/release`); // 409
    await call('POST', `/api/dispatches/${dispatchId}/reschedule`, { body: { at: '2099-01-01T08:00:00Z' } }); // 409
    await call('POST', `/api/dispatches/${dispatchId}/test-send`, { body: { email: 'desk@example.org' } });
    await call('POST', '/api/deliveries/99999999/resolve', { body: { status: 'sent' } }); // 404

    // Correcting it: the correction, its repeat, the list, and the errors.
    expect((await call('POST', `/api/articles/${articleId}/correct`, { body: { note: 'It was Tuesday.', email: true } })).status).toBe(201);
    expect((await call('POST', `/api/articles/${articleId}/correct`, { body: { note: 'It was Tuesday.', email: true } })).status).toBe(200);
    expect((await call('POST', `/api/articles/${articleId}/correct`, { body: { note: '' } })).status).toBe(400);
    await call('POST', '/api/articles/99999999/correct', { body: { note: 'x', email: true } }); // 404
    await call('GET', `/api/articles/${articleId}/corrections`);
    await call('GET', '/api/articles/99999999/corrections'); // 404

    // Retracting it: the retraction, its repeat, and the report.
    await call('GET', `/api/articles/${articleId}/retraction`); // 404: not retracted
    expect((await call('POST', `/api/articles/${articleId}/retract`, { body: { reason: 'Wrong figures.' } })).status).toBe(201);
    expect((await call('POST', `/api/articles/${articleId}/retract`, { body: { reason: 'Again.' } })).status).toBe(200);
    await call('POST', '/api/articles/99999999/retract', { body: { reason: 'x' } }); // 404
    expect((await call('POST', `/api/articles/${articleId}/correct`, { body: { note: 'Later.', email: true } })).status).toBe(409);
    await call('GET', `/api/articles/${articleId}/retraction`);

    // A scheduled dispatch can be edited, rescheduled, released and cancelled.
    const later = await call('POST', '/api/articles', { body: articlePayload({ schedule: { at: '2099-01-01T08:00:00Z' } }) });
    const laterId = later.body.dispatch.id;
    await call('PATCH', `/api/dispatches/${laterId}`, { body: { subject: 'A better subject' } });
    await call('POST', `/api/dispatches/${laterId}/reschedule`, { body: { at: '2099-02-01T08:00:00Z', timezone: 'Europe/Berlin' } });
    await call('POST', `/api/dispatches/${laterId}/cancel`);

    // The capture inbox, at its name and at its first path (an alias).
    for (const base of ['/api/capture-inbox', '/api/outbox']) {
      const messages = await call('GET', `${base}?limit=5`);
      expect(messages.body.messages.length).toBeGreaterThan(0);
      await call('GET', `${base}/${messages.body.messages[0].file}`);
      await call('GET', `${base}/missing.eml`); // 404
    }

    await call('GET', '/api/tokens');
    const issued = await call('POST', '/api/tokens', { body: { name: 'openapi desk', role: 'editor' } });
    await call('GET', '/api/tokens', { token: issued.body.token }); // 403: editors may not

    const hook = await call('POST', '/api/webhooks', { body: { url: 'https://hooks.example.org/herald', events: ['dispatch.completed'] } });
    expect(hook.body.secret).toMatch(/^whsec_/);
    const hooks = await call('GET', '/api/webhooks');
    expect(JSON.stringify(hooks.body)).not.toContain(hook.body.secret);
    await call('GET', `/api/webhooks/${hook.body.id}/deliveries`);
    await call('POST', `/api/webhooks/${hook.body.id}/redeliver/2147483647`); // 404
    await call('DELETE', `/api/webhooks/${hook.body.id}`);
    const refused = await call('GET', '/api/webhooks', { token: issued.body.token });
    expect(refused.status).toBe(403); // editors may not
    await call('DELETE', `/api/tokens/${issued.body.id}`);
    await call('DELETE', `/api/subscribers/${subscriber.body.id}`);

    const csv = await herald.api('/api/subscribers/import', { body: 'email,name\nnew@example.org,New\n', headers: { 'content-type': 'text/csv' } });
    walked.add('POST /api/subscribers/import');
    const report = await csv.json();
    const schema = JSON.parse(JSON.stringify(doc.paths['/api/subscribers/import'].post.responses['200'].content['application/json'].schema).replaceAll('"#/components/', '"herald-openapi#/components/'));
    expect(ajv.validate(schema, report), ajv.errorsText()).toBe(true);

    // Every documented operation was walked.
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((operation) => !walked.has(operation))).toEqual([]);
  });

  it('serves a reference page at /api/docs with its own assets, nothing from another site', async () => {
    const page = await fetch(`${herald.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((s) => /^(https?:)?\/\//.test(s))).toEqual([]);
    const initializer = await (await fetch(`${herald.baseUrl}/api/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toMatch(/validatorUrl":\s*null|validatorUrl: null/);
    // Code only: a comment may cite a URL, the page never loads one.
    const code = initializer.split('\n').filter((line) => !/^\s*\/\//.test(line)).join('\n');
    expect(code.match(/https?:\/\/[^\s"'`]+/g) ?? []).toEqual([]);
    for (const source of sources) {
      const url = new URL(source, `${herald.baseUrl}/api/docs/`);
      const asset = await fetch(url);
      expect(asset.status, url.pathname).toBe(200);
      await asset.arrayBuffer(); // read to the end: an unread body keeps the connection busy and delays close
    }
  });
});
