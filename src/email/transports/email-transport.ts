// What an email transport is: a definition (name, settings, capabilities, failure classification, factory) listed
// once in registry.ts, and the running transport it builds, which hands finished messages to the outside.
import type { z } from 'zod';
import type { SettingProblem } from '../../config/env-values.js';
import { DeliveryFailure } from '../../delivery/failure.js';

export interface Envelope {
  from: string;
  to: string;
}

/** A finished message as Herald builds it: RFC 5322 bytes (already personalised) and the envelope to send it with. */
export interface MimeMail {
  raw: Buffer;
  envelope: Envelope;
}

/** What the other side said on accepting a message. */
export interface SendReceipt {
  /** Its answer as text (an SMTP reply line, a provider's status), kept as the delivery's last response. */
  response: string;
  /** The provider's own id for the message (SES MessageId, Mailgun's id): what its webhooks and logs name it by. */
  providerMessageId?: string;
  /** The EMAIL_TRANSPORTS name that accepted it (several may be configured): what the delivery row records. */
  transport?: string;
}

/** What a definition opens: talks to the outside, rejecting with whatever its library throws. */
export interface TransportConnection {
  send(mail: MimeMail): Promise<SendReceipt>;
  /** Closes connections (and whatever the transport started); messages in flight finish first. */
  close(): Promise<void>;
}

/** What the senders hold: a connection whose every rejection is already one classified DeliveryFailure. */
export interface EmailTransport {
  readonly name: string;
  /** Resolves like the connection; rejects only with a DeliveryFailure, never with a library's raw error. */
  send(mail: MimeMail): Promise<SendReceipt>;
  /** Any error met around a send (the transport's own, or a bug or stream error) as one failure in its terms. */
  failureOf(error: unknown): DeliveryFailure;
  close(): Promise<void>;
}

export interface TransportCapabilities {
  /**
   * What the provider's API takes: `raw_mime` (the finished bytes, as SMTP or SES' raw API do) or `structured`
   * (subject, html, text and headers as fields, as Postmark's API does). Every transport's `send` is handed the
   * finished MIME either way; a `structured` one reads its fields back from those bytes (structured-mail.ts), so all
   * transports send the same edition.
   */
  message: 'raw_mime' | 'structured';
  /** Messages one call may carry (provider batch APIs, gathered by send-coalescer.ts); 1: one message per call. */
  maxBatchSize: number;
}

/** `Settings`: the zod shape over the env names this transport reads; src/config merges it into the one schema. */
export interface TransportDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** Its entry in EMAIL_TRANSPORTS (and the value of its one-entry alias EMAIL_TRANSPORT); also its registry key. */
  name: string;
  /** How the dashboard and `herald doctor` name it. */
  label: string;
  settings: z.ZodObject<Shape>;
  capabilities: TransportCapabilities;
  /** Connections (or concurrent requests) it keeps open; EMAIL_SEND_CHUNK defaults to four messages per connection. */
  maxConnections(settings: z.output<z.ZodObject<Shape>>): number;
  /** What is wrong with the settings when this transport is the one chosen (a missing URL, keys that go together). */
  problems(settings: z.output<z.ZodObject<Shape>>): SettingProblem[];
  /** Turns what its library threw into exactly one failure of Herald's vocabulary (src/delivery/failure.ts). */
  classifyFailure(error: unknown, settings: z.output<z.ZodObject<Shape>>): DeliveryFailure;
  /**
   * A read-only call that proves the settings work (SES GetAccount, Mailgun's domain): resolves with what `herald
   * doctor` prints, rejects with the reason. Without it, doctor has its own check (SMTP) or none (capture).
   */
  probe?(settings: z.output<z.ZodObject<Shape>>): Promise<string>;
  /** Opens the transport; `dataDir` is HERALD_DATA_DIR, for a transport that keeps files. */
  create(settings: z.output<z.ZodObject<Shape>>, place: { dataDir: string }): Promise<TransportConnection>;
}

/** Declares a transport with its settings' types inferred (the registry keeps each definition's own shape). */
export function defineTransport<Shape extends z.ZodRawShape>(definition: TransportDefinition<Shape>): TransportDefinition<Shape> {
  return definition;
}

/** Opens a definition's connection and puts its classification between the connection and every sender. */
export async function openTransport<Shape extends z.ZodRawShape>(
  definition: TransportDefinition<Shape>,
  settings: z.output<z.ZodObject<Shape>>,
  place: { dataDir: string },
): Promise<EmailTransport> {
  const connection = await definition.create(settings, place);
  const failureOf = (error: unknown) =>
    error instanceof DeliveryFailure ? error : definition.classifyFailure(error, settings);
  return {
    name: definition.name,
    async send(mail) {
      try {
        return { ...(await connection.send(mail)), transport: definition.name };
      } catch (error) {
        throw failureOf(error);
      }
    },
    failureOf,
    close: () => connection.close(),
  };
}
