import type { SqlClient } from './sql-client.ts';
import { SqlCatalog } from './sql-catalog.ts';

export interface Migration {
  id: string;
  sql: string;
}

/*
 * Migration 1 keeps the seed's `image_metadata` table and columns exactly, and adds ours beside them with
 * `if not exists`, so it also upgrades a database that already holds the seed's table and rows. Columns
 * added to existing rows get values that describe them truthfully (the seed only wrote rows after a
 * successful upload, so they are `stored` images); new rows always set these columns explicitly.
 * On Supabase (recognised by its service_role) the table gets RLS without policies, so the API's anon
 * role sees nothing, and a grant to service_role; elsewhere RLS is left off, because a non-owner app role
 * would otherwise see no rows at all.
 */
const imageMetadata = `
create table if not exists image_metadata (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz default now(),
  wamid text unique not null,
  sender_phone text,
  storage_path text,
  mime_type text,
  file_size_kb integer,
  original_caption text
);

alter table image_metadata
  add column if not exists status text not null default 'stored'
    constraint image_metadata_status_check check (status in ('received', 'processing', 'stored', 'failed')),
  add column if not exists media_kind text not null default 'image'
    constraint image_metadata_media_kind_check check (media_kind in ('image', 'sticker', 'document', 'unsupported')),
  add column if not exists media_id text,
  add column if not exists announced_mime_type text,
  add column if not exists announced_sha256 text,
  add column if not exists media_url text,
  add column if not exists filename text,
  add column if not exists animated boolean,
  add column if not exists forwarded boolean not null default false,
  add column if not exists sender_user_id text,
  add column if not exists phone_number_id text,
  add column if not exists waba_id text,
  add column if not exists message_timestamp timestamptz,
  add column if not exists byte_size bigint,
  add column if not exists width integer,
  add column if not exists height integer,
  add column if not exists content_sha256 text,
  add column if not exists original_mime_type text,
  add column if not exists original_path text,
  add column if not exists stored_at timestamptz,
  add column if not exists attempts integer not null default 0,
  add column if not exists lease_until timestamptz,
  add column if not exists next_attempt_at timestamptz,
  add column if not exists error_code text,
  add column if not exists error_message text,
  add column if not exists updated_at timestamptz not null default now(),
  -- created_at ties (one batch shares its transaction time; PGlite's clock ticks in milliseconds), so
  -- "newest first" needs the insertion order as a tie-breaker.
  add column if not exists seq bigint generated always as identity;

-- Seed rows carry no message time; their insert time is the closest truth.
update image_metadata set created_at = now() where created_at is null;
update image_metadata set message_timestamp = coalesce(created_at, now()) where message_timestamp is null;
alter table image_metadata
  alter column status set default 'received',
  alter column message_timestamp set not null;

create index if not exists image_metadata_status_next_attempt_idx on image_metadata (status, next_attempt_at);
create index if not exists image_metadata_sender_created_idx on image_metadata (sender_phone, created_at desc);
create index if not exists image_metadata_created_idx on image_metadata (created_at desc, seq desc);

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    alter table image_metadata enable row level security;
    grant select, insert, update, delete on image_metadata to service_role;
  end if;
end
$$;
notify pgrst, 'reload schema';
`;

export const migrations: readonly Migration[] = [{ id: '0001_image_metadata', sql: imageMetadata }];

// Arbitrary but fixed: every process of this product serialises its migrations on this key.
const MIGRATION_LOCK_KEY = 7_241_180_613;

/**
 * Applies pending migrations in one transaction and returns the ids it applied. The transaction-scoped
 * advisory lock makes a second process that starts at the same moment wait, then find nothing to do.
 */
export async function applyMigrations(db: SqlClient, list: readonly Migration[] = migrations): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`create table if not exists media_vault_migrations (
      id text primary key,
      applied_at timestamptz not null default now()
    )`);
    const { rows } = await tx.query<{ id: string }>('select id from media_vault_migrations');
    const done = new Set(rows.map((row) => row.id));
    const applied: string[] = [];
    for (const migration of list) {
      if (done.has(migration.id)) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into media_vault_migrations (id) values ($1)', [migration.id]);
      applied.push(migration.id);
    }
    return applied;
  });
}

/** A catalog over `client` once its schema is current; the client is closed if migrating fails. */
export async function openMigratedCatalog(client: SqlClient): Promise<SqlCatalog> {
  try {
    await applyMigrations(client);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return new SqlCatalog(client);
}
