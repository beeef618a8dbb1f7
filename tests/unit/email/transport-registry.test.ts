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
const NOT_TRANSPORTS = new Set(['email-transport.ts', 'registry.ts']);
const README = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
const ENV_EXAMPLE = readFileSync(join(import.meta.dirname, '../../../.env.example'), 'utf8');

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
    // Editions are rendered to MIME only: a transport that wants structured fields needs the renderer first.
    expect(definition.capabilities.message).toBe('raw_mime');
    expect(definition.capabilities.maxBatchSize).toBeGreaterThanOrEqual(1);
    const config = loadConfig({ EMAIL_TRANSPORT: name, SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(config.EMAIL_TRANSPORT).toBe(name);
    expect(transportDefinition(name).maxConnections(config)).toBeGreaterThanOrEqual(1);
    expect(transportDefinition(name).classifyFailure(new Error('socket hang up'), config)).toBeInstanceOf(DeliveryFailure);
  });

  it('README and .env.example name every value EMAIL_TRANSPORT takes', () => {
    for (const name of TRANSPORT_NAMES) {
      expect(README).toMatch(new RegExp(`\`EMAIL_TRANSPORT\`[^\\n]*\`${name}\``));
      expect(ENV_EXAMPLE).toMatch(new RegExp(`EMAIL_TRANSPORT[^\\n]*\\b${name}\\b`));
    }
  });
});

describe('choosing a transport', () => {
  it('defaults as before EMAIL_TRANSPORT existed: SMTP when SMTP_URL is set, else the capture inbox', () => {
    expect(loadConfig({}).EMAIL_TRANSPORT).toBe('capture');
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.org:587' }).EMAIL_TRANSPORT).toBe('smtp');
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.org:587', EMAIL_TRANSPORT: 'capture' }).EMAIL_TRANSPORT).toBe('capture');
  });

  it('refuses an unknown name, and SMTP without its server', () => {
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'pigeon' })).toThrow(/EMAIL_TRANSPORT/);
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'smtp' })).toThrow(/SMTP_URL: is required when EMAIL_TRANSPORT=smtp/);
  });

  it('checks the chosen transport\'s own settings (DKIM keys go together)', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'example.org' })).toThrow(/DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together/);
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example.org:587', DKIM_SELECTOR: 's1' })).toThrow(/go together/);
  });
});
