import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseConfig } from '../../src/config/config.ts';
import { openPostgresCatalog } from '../../src/catalog/postgres-catalog.ts';
import type { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { openSupabaseCatalog, type SupabaseCatalog } from '../../src/catalog/supabase-catalog.ts';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from '../support/fake-supabase/keys.ts';
import { startFakeSupabase, type FakeSupabase, type RecordedRequest } from '../support/fake-supabase/server.ts';
import { ensureSupabaseRoles } from '../support/fake-supabase/supabase-roles.ts';
import { BASE_DATABASE_URL, createTestDatabase, media, type TestDatabase } from './databases.ts';

const config = (url: string, key: string): SupabaseConfig => ({
  url, key, bucket: 'whatsapp-images', createBucket: false, cacheControlSeconds: 3600,
});

async function failure(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

describe('Supabase catalog contract: what supabase-js sends and how faults are classified', () => {
  let database: TestDatabase;
  let sql: SqlCatalog;
  let fake: FakeSupabase;
  let catalog: SupabaseCatalog;
  const sent = (method: string): RecordedRequest[] => fake.requests.filter((r) => r.method === method && r.path.startsWith('/rest/'));

  beforeAll(async () => {
    await ensureSupabaseRoles(BASE_DATABASE_URL);
    database = await createTestDatabase();
    sql = await openPostgresCatalog(database.url);
    fake = await startFakeSupabase({ serviceRoleKey: SERVICE_ROLE_KEY, anonKey: ANON_KEY, databaseUrl: database.url });
    catalog = await openSupabaseCatalog(config(fake.url, SERVICE_ROLE_KEY));
  });
  afterAll(async () => {
    await fake?.close();
    await sql?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await sql.db.exec('truncate image_metadata');
    fake.requests.length = 0;
  });

  it('accept is one POST upsert: ignore-duplicates on wamid, every column named, only new rows returned', async () => {
    const [a, b] = [media({ caption: 'première' }), media()];
    await catalog.accept([b, a]);
    expect(sent('POST')).toHaveLength(1);
    const post = sent('POST')[0]!;
    expect(post.path).toBe('/rest/v1/image_metadata');
    expect(post.query).toMatchObject({ on_conflict: 'wamid', select: 'wamid,status' });
    expect(post.query.columns?.split(',')).toContain('"wamid"');
    expect(post.headers.prefer).toBe('resolution=ignore-duplicates, return=representation');
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.headers.apikey).toBe(SERVICE_ROLE_KEY);
    expect(post.headers.authorization).toBe(`Bearer ${SERVICE_ROLE_KEY}`);
    const body = JSON.parse(post.body.toString('utf8')) as Record<string, unknown>[];
    expect(body.map((row) => row.wamid)).toEqual([a.wamid, b.wamid].sort());
    expect(body.find((row) => row.wamid === a.wamid)).toMatchObject({
      status: 'received', media_kind: 'image', original_caption: 'première', filename: null,
      message_timestamp: '2026-03-01T10:00:00.000Z', error_code: null,
    });
    expect(Object.keys(body[0]!).sort()).toEqual(Object.keys(body[1]!).sort());
    expect((await catalog.accept([a, b])).newWamids).toEqual([]);
  });

  it('claim is a read, then one PATCH conditioned on the state and on the attempts it read', async () => {
    const item = media();
    await catalog.accept([item]);
    fake.requests.length = 0;
    const now = new Date('2026-03-01T10:00:00.000Z');
    expect(await catalog.claim(item.wamid, 1000, now)).toMatchObject({ status: 'processing', attempts: 1 });
    expect(sent('GET')).toHaveLength(1);
    const [patch] = sent('PATCH');
    expect(patch?.query).toMatchObject({ wamid: `eq.${item.wamid}`, attempts: 'eq.0' });
    expect(patch?.query.or).toContain('and(status.eq.processing,or(lease_until.is.null,lease_until.lt."2026-03-01T10:00:00.000Z"))');
    expect(JSON.parse(patch!.body.toString('utf8'))).toMatchObject({ status: 'processing', attempts: 1, lease_until: '2026-03-01T10:00:01.000Z' });
  });

  it('requeueFailed is one PATCH whose filters repeat every condition, with each listed value quoted', async () => {
    const item = media();
    await catalog.accept([item]);
    await catalog.claim(item.wamid, 60_000);
    await catalog.markFailed(item.wamid, { code: 'graph_token_invalid', message: 'bad token' });
    fake.requests.length = 0;
    expect(await catalog.requeueFailed({ codes: ['graph_token_invalid', 'odd"code\\'], wamids: [item.wamid] })).toEqual([item.wamid]);
    expect(sent('GET')).toHaveLength(0);
    const [patch, ...more] = sent('PATCH');
    expect(more).toHaveLength(0);
    const params = new URLSearchParams(patch?.rawQuery ?? '');
    expect(params.get('status')).toBe('eq.failed');
    expect(params.get('media_id')).toBe('not.is.null');
    expect(params.getAll('error_code')).toEqual(['not.like.meta\\_*', 'not.like.payload\\_*', 'in.("graph_token_invalid","odd\\"code\\\\")']);
    expect(params.get('wamid')).toBe(`in.("${item.wamid}")`);
    expect(JSON.parse(patch!.body.toString('utf8'))).toMatchObject({ status: 'received', attempts: 0, next_attempt_at: null, lease_until: null });
  });

  it('a 503 is a retryable supabase_unavailable, and the same accept then succeeds', async () => {
    const item = media();
    fake.rest.failNext(1, '503');
    const error = await failure(catalog.accept([item]));
    expect(error).toMatchObject({ code: 'supabase_unavailable', retryable: true });
    expect(error.message).toContain('HTTP 503');
    expect((await catalog.accept([item])).newWamids).toEqual([item.wamid]);
  });

  it('a 503 on a read surfaces at once: postgrest-js does not retry it behind our back', async () => {
    fake.rest.failNext(1, '503');
    expect(await failure(catalog.list())).toMatchObject({ code: 'supabase_unavailable', retryable: true });
    expect(sent('GET')).toHaveLength(1);
    expect(await catalog.list()).toEqual([]);
  });

  it('a dropped connection is retryable, for writes and reads', async () => {
    const item = media();
    fake.rest.failNext(2, 'network');
    expect(await failure(catalog.accept([item]))).toMatchObject({ code: 'supabase_unavailable', retryable: true });
    expect(await failure(catalog.get(item.wamid))).toMatchObject({ code: 'supabase_unavailable', retryable: true });
    expect((await catalog.accept([item])).newWamids).toEqual([item.wamid]);
  });

  it('a 500 is retryable too', async () => {
    fake.rest.failNext(1, '500');
    expect(await failure(catalog.findDue(new Date(), 10))).toMatchObject({ code: 'supabase_unavailable', retryable: true });
  });

  it('PGRST205 and PGRST204 are a permanent supabase_schema_missing that says what to run and what is missing', async () => {
    fake.rest.failNext(1, 'PGRST205');
    const table = await failure(catalog.get('wamid.x'));
    expect(table).toMatchObject({ code: 'supabase_schema_missing', retryable: false });
    expect(table.message).toContain('the table image_metadata or a column is missing: run sql/supabase-setup.sql in the Supabase SQL editor');
    expect(table.message).toContain("table 'public.image_metadata'");
    fake.rest.failNext(1, 'PGRST204');
    const column = await failure(catalog.accept([media()]));
    expect(column).toMatchObject({ code: 'supabase_schema_missing', retryable: false });
    expect(column.message).toContain("column 'status'");
  });

  it("refuses at open a project that still has only the guide's table, naming the first missing column", async () => {
    const seeded = await createTestDatabase();
    const client = new pg.Client({ connectionString: seeded.url });
    await client.connect();
    await client.query(`create table image_metadata (id uuid primary key default gen_random_uuid(), created_at timestamptz
      default now(), wamid text unique not null, sender_phone text, storage_path text, mime_type text, file_size_kb integer,
      original_caption text); grant all on image_metadata to service_role`);
    await client.end();
    const other = await startFakeSupabase({ serviceRoleKey: SERVICE_ROLE_KEY, databaseUrl: seeded.url });
    try {
      const error = await failure(openSupabaseCatalog(config(other.url, SERVICE_ROLE_KEY)));
      expect(error).toMatchObject({ code: 'supabase_schema_missing', retryable: false });
      expect(error.message).toMatch(/column 'status'.*does not exist/);
    } finally {
      await other.close();
      await seeded.drop();
    }
  });

  it('refuses the anon key at open, before sending anything', async () => {
    await expect(openSupabaseCatalog(config(fake.url, ANON_KEY))).rejects.toThrow(/anon.*service_role/s);
    await expect(openSupabaseCatalog(config(fake.url, 'sb_publishable_abc123'))).rejects.toThrow(/publishable/);
    expect(fake.requests).toHaveLength(0);
  });

  it('a key the server does not take for service_role is a permanent supabase_access_denied', async () => {
    const error = await failure(openSupabaseCatalog(config(fake.url, 'some-other-project-key')));
    expect(error).toMatchObject({ code: 'supabase_access_denied', retryable: false });
    expect(error.message).toContain('HTTP 401');
  });

  it('a 23505 on a batch is retried row by row: rows really there are not new, the others are', async () => {
    const [there, fresh] = [media(), media()];
    await catalog.accept([there]);
    fake.requests.length = 0;
    fake.rest.failNext(1, '23505');
    expect((await catalog.accept([there, fresh])).newWamids).toEqual([fresh.wamid]);
    expect(sent('POST')).toHaveLength(3);
    expect(await catalog.list()).toHaveLength(2);
  });

  it('a 23505 for a row that is not there is reported, never swallowed', async () => {
    const item = media();
    fake.rest.failNext(1, '23505');
    expect(await failure(catalog.accept([item]))).toMatchObject({ code: 'supabase_rejected', retryable: false });
    expect(await catalog.get(item.wamid)).toBeUndefined();
  });

  it('a lapsed lease is re-claimed by exactly one of many racing claimers, whatever their clocks', async () => {
    const item = media();
    await catalog.accept([item]);
    await catalog.claim(item.wamid, 1000, new Date('2026-03-01T10:00:00Z'));
    const late = Array.from({ length: 8 }, (_, i) => new Date(Date.parse('2026-03-01T11:00:00Z') + i));
    const winners = (await Promise.all(late.map((now) => catalog.claim(item.wamid, 60_000, now)))).filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.attempts).toBe(2);
    expect((await catalog.get(item.wamid))?.attempts).toBe(2);
  });
});
