// Email deliveries keep which transport accepted them and that provider's own id for the message (SES MessageId,
// Mailgun's id): remote_id stays the Message-ID Herald wrote; the provider's id is what its webhooks and logs name.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The EMAIL_TRANSPORTS entry that accepted the message (smtp, ses, mailgun, …); null until one did.
    alter table deliveries add column transport text;
    -- The provider's id for the accepted message; null for SMTP (its queue id is in last_response, the reply line).
    alter table deliveries add column provider_message_id text;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
