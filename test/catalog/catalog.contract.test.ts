import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog.ts';
import type { StoredResult } from '../../src/catalog/media-record.ts';
import { applyMigrations, migrations } from '../../src/catalog/migrations.ts';
import { openPgliteCatalog } from '../../src/catalog/pglite-catalog.ts';
import { openPostgresCatalog } from '../../src/catalog/postgres-catalog.ts';
import type { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { openSupabaseCatalog } from '../../src/catalog/supabase-catalog.ts';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { startFakeSupabase } from '../support/fake-supabase/server.ts';
import { SERVICE_ROLE_KEY } from '../support/fake-supabase/keys.ts';
import { ensureSupabaseRoles } from '../support/fake-supabase/supabase-roles.ts';
import { BASE_DATABASE_URL, createTestDatabase, media } from './databases.ts';

/** What the suite needs beyond the port itself, so adapters without SQL (PostgREST) can join later. */
interface CatalogUnderTest {
  catalog: Catalog;
  /** Empties the table between tests. */
  reset(): Promise<void>;
  /** The seed's columns exactly as stored, to prove a user of the seed's schema finds them. */
  seedColumns(wamid: string): Promise<Record<string, unknown> | undefined>;
  /** Runs the migrations again; returns the ids applied and how many are recorded. */
  migrateAgain(): Promise<{ applied: string[]; recorded: number }>;
  teardown(): Promise<void>;
}

function sqlHarness(catalog: SqlCatalog, teardown: () => Promise<void>): CatalogUnderTest {
  return {
    catalog,
    reset: () => catalog.db.exec('truncate image_metadata'),
    seedColumns: async (wamid) => {
      const { rows } = await catalog.db.query<Record<string, unknown>>(
        `select id, created_at, wamid, sender_phone, storage_path, mime_type, file_size_kb, original_caption
           from image_metadata where wamid = $1`,
        [wamid],
      );
      return rows[0];
    },
    migrateAgain: async () => {
      const applied = await applyMigrations(catalog.db);
      const { rows } = await catalog.db.query<{ n: number }>('select count(*)::int as n from media_vault_migrations');
      return { applied, recorded: rows[0]?.n ?? -1 };
    },
    teardown,
  };
}

const adapters: { name: string; open(): Promise<CatalogUnderTest> }[] = [
  {
    name: 'PGlite (in memory)',
    open: async () => {
      const catalog = await openPgliteCatalog(undefined);
      return sqlHarness(catalog, () => catalog.close());
    },
  },
  {
    name: 'PostgreSQL (127.0.0.1)',
    open: async () => {
      const database = await createTestDatabase();
      const catalog = await openPostgresCatalog(database.url);
      return sqlHarness(catalog, async () => {
        await catalog.close();
        await database.drop();
      });
    },
  },
  {
    // supabase-js against the fake PostgREST, which runs every request on a real PostgreSQL database
    // (migrated by the SQL catalog); the SQL side only resets the table and reads raw columns.
    name: 'Supabase REST (fake PostgREST)',
    open: async () => {
      await ensureSupabaseRoles(BASE_DATABASE_URL);
      const database = await createTestDatabase();
      const sql = await openPostgresCatalog(database.url);
      const fake = await startFakeSupabase({ serviceRoleKey: SERVICE_ROLE_KEY, databaseUrl: database.url });
      const catalog = await openSupabaseCatalog({
        url: fake.url, key: SERVICE_ROLE_KEY, bucket: 'whatsapp-images', createBucket: false, cacheControlSeconds: 3600,
      });
      const harness = sqlHarness(sql, async () => {
        await catalog.close();
        await fake.close();
        await sql.close();
        await database.drop();
      });
      return { ...harness, catalog };
    },
  },
];

const stored = (overrides: Partial<StoredResult> = {}): StoredResult => ({
  storagePath: '106540352242922/2026/03/01/wamid_x-0123456789abcdef.jpg',
  mimeType: 'image/jpeg',
  byteSize: 5000,
  width: 1536,
  height: 2048,
  contentSha256: 'ab'.repeat(32),
  originalMimeType: 'image/png',
  originalPath: undefined,
  ...overrides,
});

const at = (iso: string) => new Date(iso);
const LEASE = 60_000;

async function rejectionOf(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

describe.each(adapters)('Catalog contract: $name', (adapter) => {
  let sut: CatalogUnderTest;
  let catalog: Catalog;

  beforeAll(async () => {
    sut = await adapter.open();
    catalog = sut.catalog;
  });
  afterAll(async () => sut?.teardown());
  beforeEach(async () => sut.reset());

  describe('accept', () => {
    it('is idempotent: the same items three times give one row each, new only the first time', async () => {
      const items = [media(), media(), media()];
      const first = await catalog.accept(items);
      const second = await catalog.accept(items);
      const third = await catalog.accept(items);
      expect(first.newWamids).toEqual(items.map((i) => i.wamid));
      expect(second.newWamids).toEqual([]);
      expect(third.newWamids).toEqual([]);
      expect(await catalog.list()).toHaveLength(3);
    });

    it('keeps one row when the same wamid is accepted concurrently', async () => {
      const item = media();
      const results = await Promise.all(Array.from({ length: 8 }, () => catalog.accept([item])));
      expect(results.flatMap((r) => r.newWamids)).toEqual([item.wamid]);
      expect(await catalog.list()).toHaveLength(1);
    });

    it('does not deadlock when overlapping batches arrive in opposite orders', async () => {
      const a = media();
      const b = media();
      const c = media();
      const batches = [[a, b, c], [c, b, a], [b, c, a], [a, c, b]];
      const results = await Promise.all([...batches, ...batches].map((batch) => catalog.accept(batch)));
      expect(results.flatMap((r) => r.newWamids).sort()).toEqual([a.wamid, b.wamid, c.wamid].sort());
      expect(await catalog.list()).toHaveLength(3);
    });

    it('accepts a batch with the same wamid twice as one row', async () => {
      const item = media();
      expect((await catalog.accept([item, { ...item, caption: 'second copy' }])).newWamids).toEqual([item.wamid]);
      expect(await catalog.list()).toHaveLength(1);
    });

    it('lands items with a Meta error as failed with the code, and does not hand them out as work', async () => {
      const good = media();
      const bad = media({ mediaId: undefined, metaError: { code: '131052', message: 'Media download error' } });
      expect((await catalog.accept([good, bad])).newWamids).toEqual([good.wamid]);
      const row = await catalog.get(bad.wamid);
      expect(row).toMatchObject({ status: 'failed', errorCode: '131052', errorMessage: 'Media download error', attempts: 0 });
      expect(row?.mediaId).toBeUndefined();
      expect(await catalog.claim(bad.wamid, LEASE)).toBeUndefined();
      expect(await catalog.findDue(at('2100-01-01T00:00:00Z'), 10)).toEqual([good.wamid]);
    });

    it('accepts an empty list without touching the database', async () => {
      expect(await catalog.accept([])).toEqual({ newWamids: [] });
    });

    it('accepts a sender known only by user id (no phone number)', async () => {
      const item = media({ senderPhone: undefined, senderUserId: 'BR.1502576394655843' });
      await catalog.accept([item]);
      const row = await catalog.get(item.wamid);
      expect(row?.senderPhone).toBeUndefined();
      expect(row?.senderUserId).toBe('BR.1502576394655843');
      expect((await sut.seedColumns(item.wamid))?.sender_phone).toBeNull();
    });

    it('round-trips captions with emoji and non-ASCII text, and every accepted field', async () => {
      const caption = 'Café ☕ 👨‍👩‍👧 日本語 مرحبا «quoted» \\ \'single\' "double"';
      const item = media({
        kind: 'document', caption, filename: 'scan ü.png', animated: false, forwarded: true,
        mediaUrl: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1', announcedMimeType: 'image/png',
      });
      await catalog.accept([item]);
      const row = await catalog.get(item.wamid);
      expect(row).toMatchObject({
        wamid: item.wamid, status: 'received', kind: 'document', mediaId: item.mediaId, caption,
        filename: 'scan ü.png', animated: false, forwarded: true, mediaUrl: item.mediaUrl,
        announcedMimeType: 'image/png', announcedSha256: item.announcedSha256, senderPhone: item.senderPhone,
        phoneNumberId: item.phoneNumberId, wabaId: item.wabaId, messageTimestamp: item.messageTimestamp, attempts: 0,
      });
      expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row?.createdAt).toBeInstanceOf(Date);
      expect((await sut.seedColumns(item.wamid))?.original_caption).toBe(caption);
    });

    it('stores text with NUL characters instead of failing the whole batch', async () => {
      const item = media({ caption: 'a\u0000b' });
      expect((await catalog.accept([item])).newWamids).toEqual([item.wamid]);
      expect((await catalog.get(item.wamid))?.caption).toBe('a\uFFFDb');
    });
  });

  describe('claim', () => {
    it('lets exactly one of several concurrent callers win', async () => {
      const item = media();
      await catalog.accept([item]);
      const claims = await Promise.all(Array.from({ length: 8 }, () => catalog.claim(item.wamid, LEASE)));
      const winners = claims.filter((c) => c !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ status: 'processing', attempts: 1 });
    });

    it('re-claims a lapsed lease but never a live one', async () => {
      const item = media();
      await catalog.accept([item]);
      const first = await catalog.claim(item.wamid, 1000, at('2026-03-01T10:00:00.000Z'));
      expect(first?.leaseUntil).toEqual(at('2026-03-01T10:00:01.000Z'));
      expect(await catalog.claim(item.wamid, 1000, at('2026-03-01T10:00:00.999Z'))).toBeUndefined();
      expect(await catalog.findDue(at('2026-03-01T10:00:00.999Z'), 10)).toEqual([]);
      expect(await catalog.findDue(at('2026-03-01T10:00:01.001Z'), 10)).toEqual([item.wamid]);
      const second = await catalog.claim(item.wamid, 1000, at('2026-03-01T10:00:01.001Z'));
      expect(second).toMatchObject({ status: 'processing', attempts: 2 });
    });

    it('never claims stored or failed rows, however late', async () => {
      const [a, b] = [media(), media()];
      await catalog.accept([a, b]);
      await catalog.claim(a.wamid, LEASE);
      await catalog.markStored(a.wamid, stored());
      await catalog.claim(b.wamid, LEASE);
      await catalog.markFailed(b.wamid, { code: 'media_undecodable', message: 'Not an image' });
      const late = at('2100-01-01T00:00:00Z');
      expect(await catalog.claim(a.wamid, LEASE, late)).toBeUndefined();
      expect(await catalog.claim(b.wamid, LEASE, late)).toBeUndefined();
      expect(await catalog.findDue(late, 10)).toEqual([]);
    });

    it('returns undefined for an unknown wamid', async () => {
      expect(await catalog.claim('wamid.unknown', LEASE)).toBeUndefined();
      expect(await catalog.get('wamid.unknown')).toBeUndefined();
    });
  });

  describe('transitions', () => {
    it('scheduleRetry makes the row wait until nextAttemptAt, keeping the last error', async () => {
      const item = media();
      await catalog.accept([item]);
      await catalog.claim(item.wamid, LEASE, at('2026-03-01T10:00:00Z'));
      const next = at('2026-03-01T10:05:00Z');
      await catalog.scheduleRetry(item.wamid, { code: 'graph_unavailable', message: 'Graph answered 503' }, next);
      expect(await catalog.get(item.wamid)).toMatchObject({
        status: 'received', errorCode: 'graph_unavailable', errorMessage: 'Graph answered 503', nextAttemptAt: next,
        leaseUntil: undefined, attempts: 1,
      });
      expect(await catalog.nextRetryAt()).toEqual(next);
      expect(await catalog.findDue(at('2026-03-01T10:04:59Z'), 10)).toEqual([]);
      expect(await catalog.claim(item.wamid, LEASE, at('2026-03-01T10:04:59Z'))).toBeUndefined();
      expect(await catalog.findDue(next, 10)).toEqual([item.wamid]);
      const again = await catalog.claim(item.wamid, LEASE, next);
      expect(again).toMatchObject({ status: 'processing', attempts: 2, errorCode: 'graph_unavailable' });
      expect(await catalog.nextRetryAt()).toBeUndefined();
    });

    it('markStored fills the seed columns and ours, and clears the error', async () => {
      const item = media();
      await catalog.accept([item]);
      await catalog.claim(item.wamid, LEASE);
      await catalog.scheduleRetry(item.wamid, { code: 'download_timeout', message: 'slow' }, at('2000-01-01T00:00:00Z'));
      await catalog.claim(item.wamid, LEASE);
      const result = stored({ byteSize: 3_000_000_123, originalPath: 'p/2026/03/01/x.original.png' });
      await catalog.markStored(item.wamid, result);
      const row = await catalog.get(item.wamid);
      expect(row).toMatchObject({
        status: 'stored', storagePath: result.storagePath, mimeType: 'image/jpeg', byteSize: 3_000_000_123,
        fileSizeKb: Math.ceil(3_000_000_123 / 1024), width: 1536, height: 2048, contentSha256: result.contentSha256,
        originalMimeType: 'image/png', originalPath: 'p/2026/03/01/x.original.png', attempts: 2,
        errorCode: undefined, errorMessage: undefined, leaseUntil: undefined, nextAttemptAt: undefined,
      });
      expect(row?.storedAt).toBeInstanceOf(Date);
      expect(await sut.seedColumns(item.wamid)).toMatchObject({
        storage_path: result.storagePath, mime_type: 'image/jpeg', file_size_kb: 2_929_688,
        sender_phone: item.senderPhone,
      });
    });

    it('rounds file_size_kb up', async () => {
      const item = media();
      await catalog.accept([item]);
      await catalog.claim(item.wamid, LEASE);
      await catalog.markStored(item.wamid, stored({ byteSize: 1025 }));
      expect((await sut.seedColumns(item.wamid))?.file_size_kb).toBe(2);
    });

    it('markFailed records the code and message and ends the work', async () => {
      const item = media();
      await catalog.accept([item]);
      await catalog.claim(item.wamid, LEASE);
      await catalog.markFailed(item.wamid, { code: 'pixel_limit', message: 'x'.repeat(10_000) });
      const row = await catalog.get(item.wamid);
      expect(row).toMatchObject({ status: 'failed', errorCode: 'pixel_limit', leaseUntil: undefined });
      expect(row?.errorMessage?.length).toBeLessThanOrEqual(4000);
    });

    it('refuses transitions from anything but processing, naming the state', async () => {
      const item = media();
      await catalog.accept([item]);
      const fromReceived = await rejectionOf(catalog.markStored(item.wamid, stored()));
      expect(fromReceived.code).toBe('catalog_conflict');
      expect(fromReceived.message).toContain('received');
      await catalog.claim(item.wamid, LEASE);
      await catalog.markStored(item.wamid, stored());
      expect((await rejectionOf(catalog.markFailed(item.wamid, { code: 'x', message: 'y' }))).message).toContain('stored');
      expect((await rejectionOf(catalog.scheduleRetry(item.wamid, { code: 'x', message: 'y' }, new Date()))).code).toBe('catalog_conflict');
      expect((await rejectionOf(catalog.markStored('wamid.missing', stored()))).message).toContain('missing');
      expect((await catalog.get(item.wamid))?.status).toBe('stored');
    });
  });

  describe('requeueFailed', () => {
    /** A row that went through the pipeline and failed with `code` after `attempts` attempts. */
    async function failedRow(code: string, attempts = 1): Promise<string> {
      const item = media();
      await catalog.accept([item]);
      for (let i = 1; i < attempts; i += 1) {
        await catalog.claim(item.wamid, LEASE);
        await catalog.scheduleRetry(item.wamid, { code: 'graph_unavailable', message: 'Graph answered 503' }, at('2000-01-01T00:00:00Z'));
      }
      await catalog.claim(item.wamid, LEASE);
      await catalog.markFailed(item.wamid, { code, message: `failed with ${code}` });
      return item.wamid;
    }

    it('moves failed rows with the given codes back to received, due now, oldest first, keeping the last error', async () => {
      const a = await failedRow('graph_token_invalid');
      const other = await failedRow('supabase_bucket_missing');
      const b = await failedRow('graph_token_invalid', 3);
      expect(await catalog.requeueFailed({ codes: ['graph_token_invalid'] })).toEqual([a, b]);
      for (const wamid of [a, b]) {
        expect(await catalog.get(wamid)).toMatchObject({
          status: 'received', attempts: 0, nextAttemptAt: undefined, leaseUntil: undefined,
          errorCode: 'graph_token_invalid', errorMessage: 'failed with graph_token_invalid',
        });
      }
      expect(await catalog.get(other)).toMatchObject({ status: 'failed', errorCode: 'supabase_bucket_missing' });
      expect((await catalog.findDue(new Date(), 10)).sort()).toEqual([a, b].sort());
      expect(await catalog.nextRetryAt()).toBeUndefined();
      expect(await catalog.requeueFailed({ codes: ['graph_token_invalid'] })).toEqual([]);
    });

    it('moves failed rows by wamid, and never a row that is not failed', async () => {
      const failed = await failedRow('storage_unavailable');
      const [received, processing, storedRow] = [media(), media(), media()];
      await catalog.accept([received, processing, storedRow]);
      await catalog.claim(processing.wamid, LEASE);
      await catalog.claim(storedRow.wamid, LEASE);
      await catalog.markStored(storedRow.wamid, stored());
      const wamids = [failed, received.wamid, processing.wamid, storedRow.wamid, 'wamid.unknown'];
      expect(await catalog.requeueFailed({ wamids })).toEqual([failed]);
      expect(await catalog.get(received.wamid)).toMatchObject({ status: 'received', attempts: 0 });
      expect(await catalog.get(processing.wamid)).toMatchObject({ status: 'processing', attempts: 1 });
      expect(await catalog.get(storedRow.wamid)).toMatchObject({ status: 'stored', attempts: 1 });
      expect(await catalog.requeueFailed({})).toEqual([]);
    });

    it('never requeues rows Meta failed at accept time (meta_…, payload_…), even when asked by code or wamid', async () => {
      const unsupported = media({ kind: 'unsupported', mediaId: undefined, metaError: { code: 'meta_131051', message: 'Message type unknown' } });
      const badId = media({ mediaId: undefined, metaError: { code: 'payload_media_id_invalid', message: 'not a media id' } });
      await catalog.accept([unsupported, badId]);
      // The prefix rule holds on its own too, not only through the missing media id.
      const metaWithId = await failedRow('meta_131052');
      // `_` is a LIKE wildcard: a code that merely looks like the prefix stays retryable.
      const lookalike = await failedRow('metaXcode');
      const never = [unsupported.wamid, badId.wamid, metaWithId];
      expect(await catalog.requeueFailed({ codes: ['meta_131051', 'payload_media_id_invalid', 'meta_131052'] })).toEqual([]);
      expect(await catalog.requeueFailed({ wamids: never })).toEqual([]);
      expect(await catalog.requeueFailed({})).toEqual([lookalike]);
      for (const wamid of never) expect((await catalog.get(wamid))?.status).toBe('failed');
      expect(await catalog.get(unsupported.wamid)).toMatchObject({ errorCode: 'meta_131051', attempts: 0 });
    });

    it('resets attempts so MAX_ATTEMPTS applies afresh, and the row can be claimed and stored again', async () => {
      const wamid = await failedRow('graph_timeout', 3);
      expect((await catalog.get(wamid))?.attempts).toBe(3);
      await catalog.requeueFailed({ wamids: [wamid] });
      const claimed = await catalog.claim(wamid, LEASE);
      expect(claimed).toMatchObject({ status: 'processing', attempts: 1, errorCode: 'graph_timeout' });
      await catalog.markStored(wamid, stored());
      expect(await catalog.get(wamid)).toMatchObject({ status: 'stored', attempts: 1, errorCode: undefined, errorMessage: undefined });
    });

    it('honours limit (oldest first) and since; an empty list matches nothing', async () => {
      const before = new Date(Date.now() - 60_000);
      const [a, b, c] = [await failedRow('x_code'), await failedRow('x_code'), await failedRow('x_code')];
      expect(await catalog.requeueFailed({ codes: [] })).toEqual([]);
      expect(await catalog.requeueFailed({ wamids: [] })).toEqual([]);
      expect(await catalog.requeueFailed({ since: new Date(Date.now() + 3_600_000) })).toEqual([]);
      expect(await catalog.requeueFailed({ limit: 2, since: before })).toEqual([a, b]);
      expect(await catalog.requeueFailed({ limit: 5, wamids: [c, a] })).toEqual([c]);
    });

    it('matches codes holding quotes, commas, brackets and backslashes literally', async () => {
      const odd = await failedRow('odd"code\\,(x)');
      const plain = await failedRow('odd');
      expect(await catalog.requeueFailed({ codes: ['odd"code\\,(x)'] })).toEqual([odd]);
      expect((await catalog.get(plain))?.status).toBe('failed');
    });

    it('moves each row once when several requeues run at the same time', async () => {
      const wamids = [await failedRow('x_code'), await failedRow('x_code'), await failedRow('y_code')];
      const results = await Promise.all(Array.from({ length: 4 }, () => catalog.requeueFailed({})));
      expect(results.flat().sort()).toEqual([...wamids].sort());
    });

    it('takes long wamid lists', async () => {
      const items = Array.from({ length: 120 }, () => media());
      for (const item of items) {
        await catalog.accept([item]);
        await catalog.claim(item.wamid, LEASE);
        await catalog.markFailed(item.wamid, { code: 'graph_token_invalid', message: 'bad token' });
      }
      const wanted = items.slice(0, 110).map((item) => item.wamid);
      expect(await catalog.requeueFailed({ wamids: [...wanted, ...wanted.slice(0, 5)] })).toEqual(wanted);
      expect(await catalog.requeueFailed({ wamids: items.map((item) => item.wamid), limit: 7 })).toEqual(items.slice(110, 117).map((item) => item.wamid));
    });
  });

  describe('queries', () => {
    it('lists newest first, filters by status, and honours the limit', async () => {
      const [a, b, c] = [media(), media(), media()];
      for (const item of [a, b, c]) await catalog.accept([item]);
      await catalog.claim(b.wamid, LEASE);
      await catalog.markStored(b.wamid, stored());
      expect((await catalog.list()).map((r) => r.wamid)).toEqual([c.wamid, b.wamid, a.wamid]);
      expect((await catalog.list({ status: 'stored' })).map((r) => r.wamid)).toEqual([b.wamid]);
      expect((await catalog.list({ status: 'received' })).map((r) => r.wamid)).toEqual([c.wamid, a.wamid]);
      expect((await catalog.list({ status: 'failed' }))).toEqual([]);
      expect((await catalog.list({ limit: 2 })).map((r) => r.wamid)).toEqual([c.wamid, b.wamid]);
      expect(await catalog.list({ limit: 0 })).toHaveLength(1);
    });

    it('lists rows accepted within the same clock tick in acceptance order, newest first', async () => {
      const items = Array.from({ length: 12 }, () => media());
      for (const item of items) await catalog.accept([item]);
      expect((await catalog.list()).map((r) => r.wamid)).toEqual(items.map((i) => i.wamid).reverse());
    });

    it('findDue honours its limit and nextRetryAt picks the earliest retry', async () => {
      const items = [media(), media(), media()];
      await catalog.accept(items);
      expect(await catalog.findDue(new Date(), 2)).toHaveLength(2);
      expect(await catalog.nextRetryAt()).toBeUndefined();
      const times = [at('2030-01-01T00:00:03Z'), at('2030-01-01T00:00:01Z')];
      for (const [i, time] of times.entries()) {
        const wamid = items[i]!.wamid;
        await catalog.claim(wamid, LEASE);
        await catalog.scheduleRetry(wamid, { code: 'x', message: 'y' }, time);
      }
      expect(await catalog.nextRetryAt()).toEqual(at('2030-01-01T00:00:01Z'));
    });
  });

  describe('migrations', () => {
    it('applying them again is a no-op', async () => {
      const item = media();
      await catalog.accept([item]);
      expect(await sut.migrateAgain()).toEqual({ applied: [], recorded: migrations.length });
      expect((await catalog.get(item.wamid))?.wamid).toBe(item.wamid);
    });
  });
});
