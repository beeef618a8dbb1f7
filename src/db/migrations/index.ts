// Every migration, in order. Listed here (not read from a folder) so they work the same from src/ and from dist/.
import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';
import * as subscribers from './0002_subscribers.js';
import * as dispatchControl from './0003_dispatch_control.js';
import * as installation from './0004_installation.js';
import * as security from './0005_security.js';
import * as failureModel from './0006_failure_model.js';
import * as retraction from './0007_retraction.js';
import * as providerMessageId from './0008_provider_message_id.js';
import * as clicks from './0009_clicks.js';
import * as priority from './0010_priority.js';
import * as webhooks from './0011_webhooks.js';
import * as deliveryRetention from './0012_delivery_retention.js';
import * as pacing from './0013_pacing.js';
import * as corrections from './0014_corrections.js';
import * as threadParts from './0015_thread_parts.js';
import * as localTime from './0016_local_time.js';
import * as engagement from './0017_engagement.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_subscribers': subscribers,
  '0003_dispatch_control': dispatchControl,
  '0004_installation': installation,
  '0005_security': security,
  '0006_failure_model': failureModel,
  '0007_retraction': retraction,
  '0008_provider_message_id': providerMessageId,
  '0009_clicks': clicks,
  '0010_priority': priority,
  '0011_webhooks': webhooks,
  '0012_delivery_retention': deliveryRetention,
  '0013_pacing': pacing,
  '0014_corrections': corrections,
  '0015_thread_parts': threadParts,
  '0016_local_time': localTime,
  '0017_engagement': engagement,
};
