import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/catalog/create-catalog.ts';
import { migrations } from '../../src/catalog/migrations.ts';
import { openPgliteCatalog, pgliteSqlClient } from '../../src/catalog/pglite-catalog.ts';
import { openPostgresCatalog } from '../../src/catalog/postgres-catalog.ts';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { applyMigrations } from '../../src/catalog/migrations.ts';
import { createTestDatabase, media, type TestDatabase } from './databases.ts';

// The seed guide's table, as its users created it in Supabase.
const SEED_TABLE = `
create table image_metadata (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz default now(),
  wamid text unique not null,
  sender_phone text,
  storage_path text,
  mime_type text,
  file_size_kb integer,
  original_caption text
);
insert into image_metadata (wamid, sender_phone, storage_path, mime_type, file_size_kb, original_caption)
values ('wamid.seed1', '15550001111', '15550001111/1700000000.jpg', 'image/jpeg', 120, 'from the seed');`;

async function expectSeedRowUpgraded(catalog: SqlCatalog) {
  const row = await catalog.get('wamid.seed1');
  expect(row).toMatchObject({
    status: 'stored', kind: 'image', storagePath: '15550001111/1700000000.jpg', fileSizeKb: 120,
    caption: 'from the seed', senderPhone: '15550001111', attempts: 0, forwarded: false,
  });
  expect(row?.messageTimestamp).toEqual(row?.createdAt);
  // New rows still start as received.
  const item = media();
  expect((await catalog.accept([item])).newWamids).toEqual([item.wamid]);
  expect((await catalog.get(item.wamid))?.status).toBe('received');
}

describe('migrations on PostgreSQL (127.0.0.1)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('two processes opening a fresh database at once both succeed, and migrate once', async () => {
    const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgresCatalog(database.url, { max: 2 })));
    try {
      const { rows } = await opened[0]!.db.query<{ id: string }>('select id from media_vault_migrations');
      expect(rows.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
      const item = media();
      await opened[1]!.accept([item]);
      expect((await opened[2]!.get(item.wamid))?.wamid).toBe(item.wamid);
    } finally {
      await Promise.all(opened.map((c) => c.close()));
    }
  });

  it('reopening is a no-op that keeps the rows', async () => {
    const item = media();
    const first = await openPostgresCatalog(database.url);
    await first.accept([item]);
    await first.close();
    const second = await createCatalog({
      kind: 'postgres', databaseUrl: database.url, pgliteDir: '/nonexistent', supabase: loadConfig({}).catalog.supabase,
    });
    try {
      expect((await second.get(item.wamid))?.status).toBe('received');
    } finally {
      await second.close();
    }
  });

  it("upgrades a database that already holds the seed's table and rows", async () => {
    const seeded = await createTestDatabase();
    try {
      const client = new pg.Client({ connectionString: seeded.url });
      await client.connect();
      await client.query(SEED_TABLE);
      await client.end();
      const catalog = await openPostgresCatalog(seeded.url);
      try {
        await expectSeedRowUpgraded(catalog);
      } finally {
        await catalog.close();
      }
    } finally {
      await seeded.drop();
    }
  });

  it('fails to open with a clear error when the server is unreachable', async () => {
    await expect(openPostgresCatalog('postgres://postgres@127.0.0.1:1/none')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('migrations on PGlite', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mv-pglite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the data directory, and reopening it keeps the rows and migrates nothing', async () => {
    const dataDir = path.join(dir, 'nested', 'catalog');
    const item = media();
    const first = await openPgliteCatalog(dataDir);
    await first.accept([item]);
    await first.close();
    const second = await openPgliteCatalog(dataDir);
    try {
      expect((await second.get(item.wamid))?.status).toBe('received');
      expect(await applyMigrations(second.db)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("upgrades a database that already holds the seed's table and rows", async () => {
    const db = await PGlite.create();
    await db.exec(SEED_TABLE);
    const client = pgliteSqlClient(db);
    expect(await applyMigrations(client)).toEqual(migrations.map((m) => m.id));
    const catalog = new SqlCatalog(client);
    try {
      await expectSeedRowUpgraded(catalog);
    } finally {
      await catalog.close();
    }
  });

  it('rolls back a migration that fails, leaving nothing half-applied', async () => {
    const db = await PGlite.create();
    const client = pgliteSqlClient(db);
    try {
      const broken = [...migrations, { id: '9999_broken', sql: 'create table half_done (id int); select nonsense_fn();' }];
      await expect(applyMigrations(client, broken)).rejects.toThrow(/nonsense_fn/);
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from pg_tables where tablename in ('half_done', 'image_metadata', 'media_vault_migrations')",
      );
      expect(rows[0]?.n).toBe(0);
    } finally {
      await client.close();
    }
  });
});
