// The network registry: a network is registered whole (settings, label, length rule, template, docs) or the suite fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelNames } from '../../../src/articles/article-input.js';
import { loadConfig } from '../../../src/config/config.js';
import { checkTemplate } from '../../../src/social/compose.js';
import { NETWORK_LIMITS } from '../../../src/social/length.js';
import { CHANNEL_LABELS, channelLabel, NETWORK_DEFINITIONS, NETWORK_NAMES } from '../../../src/social/networks.js';
import { accountName, missingCredentials, socialSettingsFrom } from '../../../src/social/settings.js';
import { SocialAccounts } from '../../../src/social/social-accounts.js';
import { socialTextsEdit, socialTextsInput } from '../../../src/social/social-texts.js';

const root = join(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('every registered network is registered whole', () => {
  it.each(NETWORK_DEFINITIONS.map((d) => [d.name, d] as const))('%s', (name, definition) => {
    // A name that works as a channel, a failure-code prefix (`x_429`) and a template file name.
    expect(name).toMatch(/^[a-z][a-z0-9]*$/);
    expect(definition.label.trim()).not.toBe('');
    expect(channelLabel(name)).toBe(definition.label);

    const template = read(join('templates/social', definition.template));
    expect(() => checkTemplate(template)).not.toThrow();

    expect(Number.isInteger(definition.length.limit) && definition.length.limit > 0).toBe(true);
    expect(definition.length.count('Herald')).toBeGreaterThan(0);
    expect(NETWORK_LIMITS[name]).toBe(definition.length.limit);

    const variables = Object.keys(definition.env);
    expect(variables.length).toBeGreaterThan(0);
    for (const variable of variables) {
      expect(variable.startsWith(`${name.toUpperCase()}_`), `${variable} is named for ${name}`).toBe(true);
      expect(read('.env.example'), `.env.example lists ${variable}`).toContain(variable);
      expect(read('docs/SOCIAL.md'), `docs/SOCIAL.md documents ${variable}`).toContain(variable);
    }

    // Unconfigured, it previews: no settings, and it names what to set, all of them its own variables.
    const config = loadConfig({});
    expect(socialSettingsFrom(config)[name]).toBeUndefined();
    const missing = missingCredentials(config, name);
    expect(missing.length).toBeGreaterThan(0);
    for (const hint of missing) expect(variables.some((v) => hint.includes(v))).toBe(true);
    expect(accountName(config, name)).toBe(name);
  });

  it('has unique names, labels, variables and templates', () => {
    const unique = (values: string[]) => expect(new Set(values).size).toBe(values.length);
    unique(NETWORK_DEFINITIONS.map((d) => d.name));
    unique(NETWORK_DEFINITIONS.map((d) => d.label));
    unique(NETWORK_DEFINITIONS.map((d) => d.template));
    unique(NETWORK_DEFINITIONS.flatMap((d) => Object.keys(d.env)));
  });

  it('has no template file without a network', () => {
    expect(readdirSync(join(root, 'templates/social')).sort()).toEqual(NETWORK_DEFINITIONS.map((d) => d.template).sort());
  });

  it('is what the API, the accounts and the dashboard list', () => {
    expect(channelNames).toEqual(['email', ...NETWORK_NAMES]);
    expect(Object.keys(socialTextsInput.shape)).toEqual([...NETWORK_NAMES]);
    expect(Object.keys(socialTextsEdit.shape)).toEqual([...NETWORK_NAMES]);
    expect(SocialAccounts.fromConfig(loadConfig({})).all().map((a) => a.network)).toEqual([...NETWORK_NAMES]);
    expect(Object.keys(CHANNEL_LABELS)).toEqual(['email', ...NETWORK_NAMES]);
  });

  it('reads each network’s variables through the one config schema', () => {
    const env = Object.fromEntries(NETWORK_DEFINITIONS.flatMap((d) => Object.keys(d.env)).map((v) => [v, 'https://not-a-url-for-some']));
    // Every variable is known to loadConfig: a value it rejects names the variable, one it accepts comes back.
    let config: Record<string, unknown> = {};
    try {
      config = loadConfig(env) as unknown as Record<string, unknown>;
    } catch (error) {
      expect.fail(`config refused ${String(error)}`);
    }
    for (const variable of Object.keys(env)) expect(config[variable], variable).toBeDefined();
  });
});
