// Closing holes in stored data: editions get an unguessable public id (the "view in browser" link no longer counts up
// through every edition) and a per-edition marker key (content cannot forge a per-reader marker); articles from
// feeds get externalIds namespaced by their feed, so a feed item can never take the id a CMS article will use.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table editions add column public_id text;
    update editions set public_id = replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
    alter table editions alter column public_id set not null;
    create unique index editions_public_id on editions (public_id);
    -- Null for editions rendered before this migration: they carry the old fixed markers.
    alter table editions add column marker_key text;

    update articles a
       set external_id = case
             when length(fi.item_id) <= 180
               then 'feed:' || substr(encode(sha256(convert_to(fi.feed_url, 'UTF8')), 'hex'), 1, 12) || ':' || fi.item_id
             else 'feed:' || substr(encode(sha256(convert_to(fi.feed_url, 'UTF8')), 'hex'), 1, 12) || ':h:'
                  || encode(sha256(convert_to(fi.item_id, 'UTF8')), 'hex')
           end
      from feed_items fi
     where fi.article_id = a.id and fi.status = 'published' and a.external_id not like 'feed:%';
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
