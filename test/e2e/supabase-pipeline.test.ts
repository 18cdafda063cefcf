import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRecord } from '../../src/catalog/media-record.ts';
import { freshFixture } from '../support/fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { ANON_KEY, startSupabaseProject, type SupabaseProject } from '../support/supabase-project.ts';

// The fixtures through the real server with Supabase Storage and the Supabase catalog, both reached by
// supabase-js at the fake Supabase server (contract-tested in test/storage and test/catalog).
let project: SupabaseProject;
let h: Harness;
let local: Harness;
const BUCKET = 'whatsapp-images';

beforeAll(async () => {
  project = await startSupabaseProject();
  h = await startHarness({ ...project.env, MAX_ATTEMPTS: '3' });
  local = await startHarness();
});
afterAll(async () => {
  await h?.close();
  await local?.close();
  await project?.close();
});

async function run(harness: Harness, fixture: string): Promise<MediaRecord[]> {
  const { body, wamids } = freshFixture(fixture);
  expect((await harness.post(body)).status).toBe(200);
  return harness.waitForFinal(wamids);
}

const objectOf = (record: MediaRecord | undefined) => project.fake.storage.object(BUCKET, record?.storagePath ?? '');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('Supabase end to end (contract: fake Supabase server over real PostgreSQL)', () => {
  it('uses Supabase for both ports when only SUPABASE_URL/KEY are set', () => {
    expect(h.config.storage.kind).toBe('supabase');
    expect(h.config.catalog.kind).toBe('supabase');
    expect(h.service.blobs.describe()).toMatch(/whatsapp-images/);
  });

  it('stores the same bytes in the private bucket as the local store holds, with the real content type', async () => {
    for (const fixture of ['album-three-photos', 'variety-pack', 'sticker-animated']) {
      const inSupabase = await run(h, fixture);
      const onDisk = await run(local, fixture);
      expect(inSupabase.map((r) => r.status)).toEqual(onDisk.map((r) => r.status));
      for (const [i, record] of inSupabase.entries()) {
        const object = objectOf(record);
        expect(object?.contentType).toBe(record.mimeType);
        expect(object?.cacheControl).toBe('max-age=3600');
        expect(sha256(object?.bytes ?? Buffer.alloc(0))).toBe(onDisk[i]?.contentSha256);
        expect(record.contentSha256).toBe(onDisk[i]?.contentSha256);
      }
    }
    expect(project.fake.storage.buckets.get(BUCKET)?.public).toBe(false);
  });

  it('writes the catalog rows through PostgREST into the table from sql/supabase-setup.sql', async () => {
    const [record] = await run(h, 'image-with-caption');
    const rows = project.fake.requests.filter((r) => r.path === '/rest/v1/image_metadata' && r.method === 'POST');
    expect(rows.length).toBeGreaterThan(0);
    expect(record).toMatchObject({ status: 'stored', fileSizeKb: Math.ceil((record?.byteSize ?? 0) / 1024) });
  });

  it('retries Storage 5xx and a dropped connection, then stores', async () => {
    project.fake.storage.failNext(1, '503', { method: 'POST', path: /^\/object\// });
    const [afterServerError] = await run(h, 'image-with-caption');
    expect(afterServerError).toMatchObject({ status: 'stored', attempts: 2 });
    project.fake.storage.failNext(1, 'network', { method: 'POST', path: /^\/object\// });
    const [afterNetwork] = await run(h, 'image-with-caption');
    expect(afterNetwork).toMatchObject({ status: 'stored', attempts: 2 });
    expect(objectOf(afterNetwork)).toBeDefined();
  });

  it('fails at once on 413 and on a bucket deleted under the running service, and never claims stored', async () => {
    project.fake.storage.failNext(1, '413', { method: 'POST', path: /^\/object\// });
    const [tooBig] = await run(h, 'image-with-caption');
    expect(tooBig).toMatchObject({ status: 'failed', errorCode: 'supabase_entity_too_large', attempts: 1 });
    expect(tooBig?.storagePath).toBeUndefined();

    const bucket = project.fake.storage.buckets.get(BUCKET);
    project.fake.storage.buckets.delete(BUCKET);
    try {
      const [noBucket] = await run(h, 'image-with-caption');
      expect(noBucket).toMatchObject({ status: 'failed', errorCode: 'supabase_bucket_missing' });
      expect(noBucket?.errorMessage).toMatch(/SUPABASE_CREATE_BUCKET/);
    } finally {
      if (bucket) project.fake.storage.buckets.set(BUCKET, bucket);
    }
  });

  it('every stored row points at an object that is there', async () => {
    const rows = await h.service.catalog.list({ status: 'stored', limit: 1000 });
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(objectOf(row), row.storagePath).toBeDefined();
  });

  it('survives a catalog 503 on the accept by answering non-200, so Meta redelivers', async () => {
    project.fake.rest.failNext(1, '503');
    const { body, wamids } = freshFixture('image-with-caption');
    expect((await h.post(body)).status).toBeGreaterThanOrEqual(500);
    expect((await h.post(body)).status).toBe(200);
    expect((await h.waitForFinal(wamids))[0]?.status).toBe('stored');
  });
});

describe('Supabase start-up refusals', () => {
  it('refuses the anon key before sending anything', async () => {
    await expect(startHarness({ ...project.env, SUPABASE_KEY: ANON_KEY })).rejects.toThrow(/anon key/);
  });

  it('refuses a missing bucket unless SUPABASE_CREATE_BUCKET=true, then creates it private', async () => {
    const bare = await startSupabaseProject({ bucket: false });
    try {
      await expect(startHarness(bare.env)).rejects.toThrow(/bucket/i);
      const created = await startHarness({ ...bare.env, SUPABASE_CREATE_BUCKET: 'true' });
      await created.close();
      expect(bare.fake.storage.buckets.get(BUCKET)?.public).toBe(false);
    } finally {
      await bare.close();
    }
  });

  it('refuses a public bucket', async () => {
    const open = await startSupabaseProject({ bucket: false });
    open.fake.storage.createBucket(BUCKET, { public: true });
    try {
      await expect(startHarness(open.env)).rejects.toThrow(/public/i);
    } finally {
      await open.close();
    }
  });
});
