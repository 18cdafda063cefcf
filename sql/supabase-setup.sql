-- whatsapp-media-vault: run this once in your Supabase project
-- (Dashboard → SQL Editor → New query → paste this file → Run). Running it again is harmless.
--
-- It creates the catalog table image_metadata, or upgrades the table of the widely shared Python
-- guide in place (its columns and rows are kept). The service talks to this table through Supabase's
-- REST API with the service_role (or sb_secret_) key. Row level security is switched on with no
-- policies and the browser roles get no privileges, so the anon/publishable key sees nothing.
--
-- Keep in step with src/catalog/migrations.ts (migration 0001): test/catalog/supabase-setup-sql.test.ts
-- fails when the two tables differ.

create table if not exists public.image_metadata (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz default now(),
  wamid text unique not null,
  sender_phone text,
  storage_path text,
  mime_type text,
  file_size_kb integer,
  original_caption text
);

alter table public.image_metadata
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
  -- Rows created in the same instant are listed newest first by insertion order.
  add column if not exists seq bigint generated always as identity;

-- Rows from the guide were written after a successful upload (hence status 'stored' above) and carry
-- no message time: their insert time is the closest truth. New rows start as 'received'.
update public.image_metadata set created_at = now() where created_at is null;
update public.image_metadata set message_timestamp = coalesce(created_at, now()) where message_timestamp is null;
alter table public.image_metadata
  alter column status set default 'received',
  alter column message_timestamp set not null;

create index if not exists image_metadata_status_next_attempt_idx on public.image_metadata (status, next_attempt_at);
create index if not exists image_metadata_sender_created_idx on public.image_metadata (sender_phone, created_at desc);
create index if not exists image_metadata_created_idx on public.image_metadata (created_at desc, seq desc);

-- Closed to the browser roles: RLS on without any policy, and no privileges at all.
alter table public.image_metadata enable row level security;
revoke all on table public.image_metadata from anon, authenticated;

-- New tables are no longer exposed to the API roles automatically: the service's role gets exactly
-- what the catalog does. (service_role bypasses RLS; the grants are still required.)
grant select, insert, update, delete on table public.image_metadata to service_role;
do $$
begin
  execute format('grant usage, select on sequence %s to service_role',
                 pg_get_serial_sequence('public.image_metadata', 'seq'));
  execute format('revoke all on sequence %s from anon, authenticated',
                 pg_get_serial_sequence('public.image_metadata', 'seq'));
end
$$;

-- Make the REST API see the new table and columns now rather than at its next schema reload.
notify pgrst, 'reload schema';

-- The private bucket for the images (skip if you set SUPABASE_CREATE_BUCKET=true, or create it by hand:
-- Dashboard → Storage → New bucket → name "whatsapp-images" (or your SUPABASE_BUCKET), leave
-- "Public bucket" OFF → Create). Or uncomment this line and run it with the rest:
--
-- insert into storage.buckets (id, name, public) values ('whatsapp-images', 'whatsapp-images', false) on conflict do nothing;
--
-- No storage policies are needed: the service uses the service_role key, and with no policies
-- nobody else can read or list the bucket. Share images with signed URLs.
