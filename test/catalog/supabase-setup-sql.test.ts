import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresCatalog } from '../../src/catalog/postgres-catalog.ts';
import { SUPABASE_COLUMNS } from '../../src/catalog/supabase-catalog.ts';
import { ensureSupabaseRoles } from '../support/fake-supabase/supabase-roles.ts';
import { BASE_DATABASE_URL, createTestDatabase, type TestDatabase } from './databases.ts';

const SETUP_SQL = await readFile(new URL('../../sql/supabase-setup.sql', import.meta.url), 'utf8');

// Everything about a column that could make the REST catalog and the SQL catalog behave differently.
const COLUMNS_SQL = `
select column_name, ordinal_position, column_default, is_nullable, data_type, is_identity, identity_generation,
       identity_start, identity_increment, is_generated
  from information_schema.columns
 where table_schema = 'public' and table_name = 'image_metadata'
 order by ordinal_position`;
const INDEXES_SQL = "select indexname, indexdef from pg_indexes where tablename = 'image_metadata' order by indexname";
const CONSTRAINTS_SQL = `
select conname, pg_get_constraintdef(oid) as def from pg_constraint
 where conrelid = 'public.image_metadata'::regclass order by conname`;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const rowsOf = async (url: string, sql: string) => withClient(url, async (client) => (await client.query(sql)).rows);

describe('sql/supabase-setup.sql on PostgreSQL (127.0.0.1)', () => {
  let setup: TestDatabase;
  let migrated: TestDatabase;

  beforeAll(async () => {
    await ensureSupabaseRoles(BASE_DATABASE_URL);
    [setup, migrated] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await withClient(setup.url, (client) => client.query(SETUP_SQL));
    const catalog = await openPostgresCatalog(migrated.url);
    await catalog.close();
  });
  afterAll(async () => {
    await Promise.all([setup?.drop(), migrated?.drop()]);
  });

  it('creates exactly the table, indexes and constraints the SQL catalog migrates to, so the two cannot drift', async () => {
    for (const sql of [COLUMNS_SQL, INDEXES_SQL, CONSTRAINTS_SQL]) {
      expect(await rowsOf(setup.url, sql)).toEqual(await rowsOf(migrated.url, sql));
    }
    const columns = await rowsOf(setup.url, COLUMNS_SQL);
    expect(columns.map((c) => c.column_name).sort()).toEqual([...SUPABASE_COLUMNS].sort());
  });

  it('enables row level security with no policies', async () => {
    const [table] = await rowsOf(setup.url, "select relrowsecurity from pg_class where oid = 'public.image_metadata'::regclass");
    expect(table?.relrowsecurity).toBe(true);
    expect(await rowsOf(setup.url, "select policyname from pg_policies where tablename = 'image_metadata'")).toEqual([]);
  });

  it('grants service_role what the catalog does, and the browser roles nothing', async () => {
    const grants = await rowsOf(setup.url, `
      select grantee, privilege_type from information_schema.role_table_grants
       where table_name = 'image_metadata' and grantee in ('service_role', 'anon', 'authenticated')
       order by grantee, privilege_type`);
    expect(grants).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE'].map((privilege_type) => ({ grantee: 'service_role', privilege_type })));
    const [sequence] = await rowsOf(setup.url, `
      select has_sequence_privilege('service_role', pg_get_serial_sequence('public.image_metadata', 'seq'), 'usage') as service,
             has_sequence_privilege('anon', pg_get_serial_sequence('public.image_metadata', 'seq'), 'usage') as anon`);
    expect(sequence).toEqual({ service: true, anon: false });
  });

  it('lets service_role write and read under RLS, and refuses anon', async () => {
    await withClient(setup.url, async (client) => {
      await client.query('begin');
      await client.query('set local role service_role');
      await client.query("insert into image_metadata (wamid, message_timestamp) values ('wamid.setup', now())");
      expect((await client.query("select status from image_metadata where wamid = 'wamid.setup'")).rows).toEqual([{ status: 'received' }]);
      await client.query('rollback');
      await client.query('begin');
      await client.query('set local role anon');
      await expect(client.query('select * from image_metadata')).rejects.toMatchObject({ code: '42501' });
      await client.query('rollback');
    });
  });

  it("is safe to run again, and upgrades the guide's table keeping its rows", async () => {
    await withClient(setup.url, (client) => client.query(SETUP_SQL));
    const seeded = await createTestDatabase();
    try {
      await withClient(seeded.url, async (client) => {
        await client.query(`create table image_metadata (
          id uuid primary key default gen_random_uuid(), created_at timestamptz default now(), wamid text unique not null,
          sender_phone text, storage_path text, mime_type text, file_size_kb integer, original_caption text)`);
        await client.query("insert into image_metadata (wamid, storage_path) values ('wamid.seed1', '15550001111/1700000000.jpg')");
        await client.query(SETUP_SQL);
      });
      const [row] = await rowsOf(seeded.url, "select status, storage_path, message_timestamp = created_at as same_time from image_metadata");
      expect(row).toEqual({ status: 'stored', storage_path: '15550001111/1700000000.jpg', same_time: true });
    } finally {
      await seeded.drop();
    }
  });
});
