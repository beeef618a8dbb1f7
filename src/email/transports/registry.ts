// Every email transport Herald can send through, listed once: EMAIL_TRANSPORTS' values, the settings src/config
// reads, and what the worker composition opens all come from this list.
import type { z } from 'zod';
import { captureTransport } from './capture.js';
import { openTransport, type EmailTransport, type TransportDefinition } from './email-transport.js';
import { mailgunTransport } from './mailgun.js';
import { postmarkTransport } from './postmark.js';
import { sesTransport } from './ses.js';
import { smtpTransport } from './smtp.js';

export const EMAIL_TRANSPORTS = {
  smtp: smtpTransport,
  capture: captureTransport,
  ses: sesTransport,
  mailgun: mailgunTransport,
  postmark: postmarkTransport,
} as const;

export type TransportName = keyof typeof EMAIL_TRANSPORTS;
type Registered = (typeof EMAIL_TRANSPORTS)[TransportName];

export const TRANSPORT_NAMES = Object.keys(EMAIL_TRANSPORTS) as [TransportName, ...TransportName[]];

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type TransportSettingsShape = Intersection<Registered['settings']['shape']>;
/** Every registered transport's settings, by env name: what src/config merges into the one schema. */
export type TransportSettings = z.output<z.ZodObject<TransportSettingsShape>>;

export const TRANSPORT_SETTINGS_SHAPE = Object.assign(
  {},
  ...Object.values(EMAIL_TRANSPORTS).map((definition) => definition.settings.shape),
) as TransportSettingsShape;

/** EMAIL_TRANSPORTS (and EMAIL_TRANSPORT) unset: as before they existed, SMTP when SMTP_URL is set, else the capture inbox. */
export function defaultTransport(settings: TransportSettings): TransportName {
  return settings.SMTP_URL ? 'smtp' : 'capture';
}

/**
 * One definition, typed over every transport's settings: each reads only its own part of them, so handing it the
 * whole set (the config) is safe; the cast says so once here instead of at every caller.
 */
export function transportDefinition(name: TransportName): TransportDefinition<TransportSettingsShape> {
  return EMAIL_TRANSPORTS[name] as unknown as TransportDefinition<TransportSettingsShape>;
}

/** The chosen transport, opened with its settings. */
export function openEmailTransport(name: TransportName, settings: TransportSettings, place: { dataDir: string }): Promise<EmailTransport> {
  return openTransport(transportDefinition(name), settings, place);
}
