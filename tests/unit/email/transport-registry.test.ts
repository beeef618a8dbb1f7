// The email transport registry is complete: every transport file is listed, every listed transport is whole (its
// name, settings documented, the message format the pipeline hands it), and config chooses among them as before.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { DeliveryFailure } from '../../../src/delivery/failure.js';
import { EMAIL_TRANSPORTS, TRANSPORT_NAMES, transportDefinition } from '../../../src/email/transports/registry.js';

const TRANSPORTS_DIR = join(import.meta.dirname, '../../../src/email/transports');
/** The folder's files that are not a transport. */
const NOT_TRANSPORTS = new Set(['email-transport.ts', 'registry.ts', 'provider-http.ts', 'structured-mail.ts', 'send-coalescer.ts',
  'circuit-breaker.ts', 'configured-transport.ts', 'failover-transport.ts', 'transport-list.ts', 'weighted-rotation.ts']);
const README = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
const ENV_EXAMPLE = readFileSync(join(import.meta.dirname, '../../../.env.example'), 'utf8');
/** What every registered transport needs to be chosen. */
const EVERY_TRANSPORT_SET_UP = {
  SMTP_URL: 'smtp://127.0.0.1:2525', SES_REGION: 'eu-west-1', MAILGUN_API_KEY: 'key-test', MAILGUN_DOMAIN: 'mg.example.org',
  POSTMARK_SERVER_TOKEN: 'server-token-test',
};

describe('the email transport registry', () => {
  it('lists every transport defined in src/email/transports, under its own name', async () => {
    const registered = new Set<unknown>(Object.values(EMAIL_TRANSPORTS));
    for (const file of readdirSync(TRANSPORTS_DIR).filter((f) => f.endsWith('.ts') && !NOT_TRANSPORTS.has(f))) {
      const module = (await import(join(TRANSPORTS_DIR, file))) as Record<string, unknown>;
      const definitions = Object.values(module).filter((value) => typeof value === 'object' && value !== null && 'create' in value && 'classifyFailure' in value);
      expect(definitions.length, `${file} defines a transport`).toBeGreaterThan(0);
      for (const definition of definitions) expect(registered.has(definition), `${file}'s transport is in registry.ts`).toBe(true);
    }
    for (const [key, definition] of Object.entries(EMAIL_TRANSPORTS)) expect(definition.name).toBe(key);
  });

  it.each(TRANSPORT_NAMES)('%s: documents its settings, takes what the pipeline renders, classifies its failures', (name) => {
    const definition = EMAIL_TRANSPORTS[name];
    expect(definition.label.length).toBeGreaterThan(0);
    for (const variable of Object.keys(definition.settings.shape)) {
      expect(README, `README's configuration table lists ${variable}`).toContain(`\`${variable}\``);
      expect(ENV_EXAMPLE, `.env.example lists ${variable}`).toMatch(new RegExp(`^#? ?${variable}=`, 'm'));
    }
    // Editions are rendered to MIME only: a structured transport reads its fields back from it (structured-mail.ts).
    expect(['raw_mime', 'structured']).toContain(definition.capabilities.message);
    expect(definition.capabilities.maxBatchSize).toBeGreaterThanOrEqual(1);
    const config = loadConfig({ EMAIL_TRANSPORT: name, ...EVERY_TRANSPORT_SET_UP });
    expect(config.EMAIL_TRANSPORT).toBe(name);
    expect(config.EMAIL_TRANSPORTS).toEqual([name]);
    expect(transportDefinition(name).maxConnections(config)).toBeGreaterThanOrEqual(1);
    expect(transportDefinition(name).classifyFailure(new Error('socket hang up'), config)).toBeInstanceOf(DeliveryFailure);
  });

  it('README and .env.example name every value EMAIL_TRANSPORTS takes', () => {
    for (const name of TRANSPORT_NAMES) {
      expect(README).toMatch(new RegExp(`\`EMAIL_TRANSPORTS\`[^\\n]*\`${name}\``));
      expect(ENV_EXAMPLE).toMatch(new RegExp(`EMAIL_TRANSPORTS[^\\n]*\\b${name}\\b`));
    }
  });
});

describe('choosing a transport', () => {
  it('defaults as before EMAIL_TRANSPORT existed: SMTP when SMTP_URL is set, else the capture inbox', () => {
    expect(loadConfig({}).EMAIL_TRANSPORT).toBe('capture');
    expect(loadConfig({}).EMAIL_TRANSPORTS).toEqual(['capture']);
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.org:587' }).EMAIL_TRANSPORT).toBe('smtp');
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.org:587', EMAIL_TRANSPORT: 'capture' }).EMAIL_TRANSPORT).toBe('capture');
  });

  it('refuses an unknown name, and SMTP without its server', () => {
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'pigeon' })).toThrow(/EMAIL_TRANSPORT/);
    expect(() => loadConfig({ EMAIL_TRANSPORTS: 'ses,pigeon', SES_REGION: 'eu-west-1' })).toThrow(/EMAIL_TRANSPORTS/);
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'smtp' })).toThrow(/SMTP_URL: is required when EMAIL_TRANSPORTS lists smtp/);
  });

  it('takes EMAIL_TRANSPORTS in failover order; the first is the one that sends', () => {
    const config = loadConfig({ EMAIL_TRANSPORTS: ' ses , smtp ', ...EVERY_TRANSPORT_SET_UP });
    expect(config.EMAIL_TRANSPORTS).toEqual(['ses', 'smtp']);
    expect(config.EMAIL_TRANSPORT).toBe('ses');
    // The alias may say the same thing; it may not contradict the list.
    expect(loadConfig({ EMAIL_TRANSPORTS: 'mailgun', EMAIL_TRANSPORT: 'mailgun', ...EVERY_TRANSPORT_SET_UP }).EMAIL_TRANSPORT).toBe('mailgun');
    expect(() => loadConfig({ EMAIL_TRANSPORTS: 'ses,smtp', EMAIL_TRANSPORT: 'smtp', ...EVERY_TRANSPORT_SET_UP })).toThrow(/set only EMAIL_TRANSPORTS/);
    expect(() => loadConfig({ EMAIL_TRANSPORTS: 'smtp,smtp', SMTP_URL: 'smtp://127.0.0.1:2525' })).toThrow(/names a transport twice/);
  });

  it('checks every listed transport, not only the first', () => {
    expect(() => loadConfig({ EMAIL_TRANSPORTS: 'smtp,ses', SMTP_URL: 'smtp://127.0.0.1:2525' })).toThrow(/SES_REGION: is required when EMAIL_TRANSPORTS lists ses/);
    expect(() => loadConfig({ EMAIL_TRANSPORTS: 'mailgun', MAILGUN_DOMAIN: 'mg.example.org' })).toThrow(/MAILGUN_API_KEY: is required/);
    expect(loadConfig({ EMAIL_TRANSPORTS: 'mailgun', MAILGUN_API_KEY: 'k', MAILGUN_DOMAIN: 'mg.example.org' }).MAILGUN_API_URL).toBe('https://api.mailgun.net');
  });

  it('checks the chosen transport\'s own settings (DKIM keys go together)', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'example.org' })).toThrow(/DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together/);
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example.org:587', DKIM_SELECTOR: 's1' })).toThrow(/go together/);
  });
});
