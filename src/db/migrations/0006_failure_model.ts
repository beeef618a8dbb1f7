// The failure model (issue 11): deliveries keep the stable code of their last failure and the end of their retry
// window, a policy refusal is its own delivery status (`blocked`), a dispatch that finished with failures says so
// (`completed_with_failures`) and says why it paused itself, and subscribers count soft bounces in a row.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table deliveries drop constraint deliveries_status_check;
    alter table deliveries add constraint deliveries_status_check
      check (status in ('pending', 'sending', 'sent', 'failed', 'blocked', 'skipped', 'uncertain', 'preview', 'cancelled'));
    -- permanent_address, permanent_policy, transient, rate_limited or uncertain (src/delivery/failure.ts).
    alter table deliveries add column failure text;
    -- Set at the first temporary failure: past it, the next temporary failure is final (SMTP_RETRY_WINDOW_MINUTES).
    alter table deliveries add column retry_until timestamptz;

    alter table dispatches drop constraint dispatches_status_check;
    alter table dispatches add constraint dispatches_status_check
      check (status in ('scheduled', 'pending', 'held', 'running', 'paused', 'completed', 'completed_with_failures',
                        'cancelled', 'failed'));
    -- Why a dispatch paused itself (the reputation guard); cleared when an editor resumes it.
    alter table dispatches add column pause_reason text;
    -- An editor resumed it after the guard paused it: the guard does not stop it again.
    alter table dispatches add column reputation_overridden_at timestamptz;

    -- Soft bounces (full mailbox, 4xx to the end of the retry window) in a row, across editions; a delivery that
    -- arrives resets it. At SOFT_BOUNCE_LIMIT the subscriber is bounced.
    alter table subscribers add column soft_bounces integer not null default 0;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
