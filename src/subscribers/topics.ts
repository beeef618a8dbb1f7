// The topics a reader can choose: the editor's list (HERALD_TOPICS), or else what recent articles are about.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Without HERALD_TOPICS: the sections and tags of this many days of articles … */
const RECENT_DAYS = 90;
/** … the most used ones, so a one-off tag does not clutter the form. */
const MAX_DERIVED_TOPICS = 24;

export function configuredTopics(setting: string | undefined): string[] | undefined {
  if (!setting) return undefined;
  const topics = setting.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  return topics.length ? [...new Set(topics)] : undefined;
}

/** Lower-cased, as subscribers' topics are stored and as the fan-out compares them. */
export async function availableTopics(db: Kysely<Database>, setting: string | undefined): Promise<string[]> {
  const configured = configuredTopics(setting);
  if (configured) return configured;
  const rows = await sql<{ topic: string }>`
    select topic from (
      select lower(trim(section)) as topic from articles
        where section is not null and published_at > now() - make_interval(days => ${RECENT_DAYS})
      union all
      select lower(trim(tag)) from articles, unnest(tags) as tag
        where published_at > now() - make_interval(days => ${RECENT_DAYS})
    ) t
    where topic <> ''
    group by topic
    order by count(*) desc, topic
    limit ${MAX_DERIVED_TOPICS}
  `.execute(db);
  return rows.rows.map((r) => r.topic).sort();
}
