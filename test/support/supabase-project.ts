import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { BASE_DATABASE_URL, createTestDatabase, type TestDatabase } from '../catalog/databases.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from './fake-supabase/keys.ts';
import { startFakeSupabase, type FakeSupabase } from './fake-supabase/server.ts';
import { ensureSupabaseRoles } from './fake-supabase/supabase-roles.ts';

export { ANON_KEY, SERVICE_ROLE_KEY };

export interface SupabaseProject {
  url: string;
  fake: FakeSupabase;
  database: TestDatabase;
  /** SUPABASE_URL/SUPABASE_KEY (service role) for loadConfig. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A Supabase project as a user has it after following the README: a fresh real PostgreSQL database on
 * which sql/supabase-setup.sql was run (the very file users paste), the fake Supabase HTTP server in
 * front of it, and the private bucket created (unless `bucket: false`).
 */
export async function startSupabaseProject(options: { bucket?: boolean } = {}): Promise<SupabaseProject> {
  await ensureSupabaseRoles(BASE_DATABASE_URL);
  const database = await createTestDatabase();
  const setupSql = await readFile(path.resolve(import.meta.dirname, '../../sql/supabase-setup.sql'), 'utf8');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(setupSql);
  } finally {
    await client.end();
  }
  const fake = await startFakeSupabase({ serviceRoleKey: SERVICE_ROLE_KEY, anonKey: ANON_KEY, databaseUrl: database.url });
  if (options.bucket !== false) fake.storage.createBucket('whatsapp-images', { public: false });
  return {
    url: fake.url,
    fake,
    database,
    env: { SUPABASE_URL: fake.url, SUPABASE_KEY: SERVICE_ROLE_KEY },
    async close() {
      await fake.close();
      await database.drop();
    },
  };
}
