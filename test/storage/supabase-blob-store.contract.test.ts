import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseConfig } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { createBlobStore, ensureBucket } from '../../src/storage/create-blob-store.ts';
import { SupabaseBlobStore } from '../../src/storage/supabase-blob-store.ts';
import { classifyStorageError } from '../../src/supabase/storage-errors.ts';
import { createSupabaseServerClient } from '../../src/supabase/supabase-client.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from '../support/fake-supabase/keys.ts';
import { startFakeSupabase, type FakeSupabase, type RecordedRequest } from '../support/fake-supabase/server.ts';

let fake: FakeSupabase;
let bucket: string;
let counter = 0;

beforeAll(async () => {
  fake = await startFakeSupabase({ serviceRoleKey: SERVICE_ROLE_KEY, anonKey: ANON_KEY });
});
afterAll(async () => fake?.close());
beforeEach(() => {
  fake.requests.length = 0;
  bucket = `bucket-${(counter += 1)}`;
});

const config = (overrides: Partial<SupabaseConfig> = {}): SupabaseConfig => ({
  url: fake.url, key: SERVICE_ROLE_KEY, bucket, createBucket: false, cacheControlSeconds: 86_400, ...overrides,
});
const storeWith = (overrides: Partial<SupabaseConfig> = {}) => new SupabaseBlobStore(config(overrides));
const withBucket = (options?: Parameters<FakeSupabase['storage']['createBucket']>[1]) => {
  fake.storage.createBucket(bucket, options);
  return storeWith();
};
const key = (name = 'photo.jpg') => `106540352242922/2026/03/01/${name}`;
const jpegBytes = (size = 50_000) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size)]);
const sent = (method: string, path: string): RecordedRequest[] => fake.requests.filter((r) => r.method === method && r.path === path);

async function rejection(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

describe('Supabase blob store contract: what supabase-js really sends', () => {
  it('uploads with POST /storage/v1/object/{bucket}/{key}, the real content type, cache-control, x-upsert, the service key and the exact bytes', async () => {
    const store = withBucket();
    // A view into a larger buffer, as sharp hands out: only the view's bytes may travel.
    const bytes = Buffer.concat([Buffer.from('junk-before'), jpegBytes(), Buffer.from('junk-after')]).subarray(11, 11 + 50_004);
    await store.put(key(), bytes, 'image/jpeg');

    const [upload, ...others] = sent('POST', `/storage/v1/object/${bucket}/${key()}`);
    expect(others).toEqual([]);
    expect(upload!.headers).toMatchObject({
      'content-type': 'image/jpeg',
      'cache-control': 'max-age=86400',
      'x-upsert': 'true',
      authorization: `Bearer ${SERVICE_ROLE_KEY}`,
      apikey: SERVICE_ROLE_KEY,
    });
    expect(upload!.body.equals(bytes)).toBe(true);
    expect(fake.storage.object(bucket, key())).toMatchObject({ contentType: 'image/jpeg', cacheControl: 'max-age=86400' });
  });

  it('never lets supabase-js fall back to text/plain (which it does for a Buffer without contentType)', async () => {
    const store = withBucket();
    await createSupabaseServerClient(config()).storage.from(bucket).upload(key('raw.jpg'), jpegBytes(10));
    expect(sent('POST', `/storage/v1/object/${bucket}/${key('raw.jpg')}`)[0]!.headers['content-type']).toBe('text/plain;charset=UTF-8');
    await store.put(key(), jpegBytes(10), 'image/webp');
    expect(fake.storage.object(bucket, key())!.contentType).toBe('image/webp');
  });

  it('reads with GET /object/{bucket}/{key}, checks existence with GET /object/info/…, deletes with DELETE /object/{bucket} {prefixes}', async () => {
    const store = withBucket();
    const bytes = jpegBytes();
    await store.put(key(), bytes, 'image/jpeg');
    fake.requests.length = 0;

    const got = await store.get(key());
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.contentType).toBe('image/jpeg');
    expect(await store.exists(key())).toBe(true);
    await store.delete(key());
    expect(await store.exists(key())).toBe(false);

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /storage/v1/object/${bucket}/${key()}`,
      `GET /storage/v1/object/info/${bucket}/${key()}`,
      `DELETE /storage/v1/object/${bucket}`,
      `GET /storage/v1/object/info/${bucket}/${key()}`,
    ]);
    expect(JSON.parse(sent('DELETE', `/storage/v1/object/${bucket}`)[0]!.body.toString())).toEqual({ prefixes: [key()] });
  });

  it('describes itself with the bucket and project URL', () => {
    expect(storeWith().describe()).toBe(`Supabase Storage bucket "${bucket}" at ${fake.url}`);
  });
});

describe('Supabase blob store contract: how each Storage answer is handled', () => {
  it('an upload without upsert that finds the key is HTTP 400 with statusCode "409" in the body; we upsert, so a retry simply overwrites', async () => {
    const store = withBucket();
    const files = createSupabaseServerClient(config()).storage.from(bucket);
    await files.upload(key(), Buffer.from('first'), { contentType: 'image/jpeg' });
    const { error } = await files.upload(key(), Buffer.from('second'), { contentType: 'image/jpeg' });
    expect(error).toMatchObject({ status: 400, statusCode: '409', code: 'ResourceAlreadyExists', message: 'The resource already exists' });
    expect(classifyStorageError(error, { operation: 'upload', bucket, key: key() })).toMatchObject({ code: 'supabase_upload_conflict', retryable: true });

    await store.put(key(), Buffer.from('retry'), 'image/jpeg');
    expect(fake.storage.object(bucket, key())!.bytes.toString()).toBe('retry');
  });

  it.each([
    ['500', 'Storage answers 500 InternalError'],
    ['503', 'a gateway answers 503 with an HTML page'],
    ['429', 'Storage answers 429 SlowDown'],
    ['network', 'the connection is destroyed mid-request'],
  ] as const)('%s (%s) is a retryable supabase_storage_unavailable; the next attempt stores the same bytes', async (kind, _why) => {
    const store = withBucket();
    const bytes = jpegBytes();
    fake.storage.failNext(1, kind);
    const error = await rejection(store.put(key(), bytes, 'image/jpeg'));
    expect(error).toMatchObject({ code: 'supabase_storage_unavailable', retryable: true });
    expect(fake.storage.object(bucket, key())).toBeUndefined();

    await store.put(key(), bytes, 'image/jpeg');
    const attempts = sent('POST', `/storage/v1/object/${bucket}/${key()}`);
    expect(attempts).toHaveLength(2);
    expect(attempts.every((a) => a.body.equals(bytes))).toBe(true);
    expect(fake.storage.object(bucket, key())!.bytes.equals(bytes)).toBe(true);
  });

  it('a failed read is retryable too, and says what Supabase said', async () => {
    const store = withBucket();
    await store.put(key(), jpegBytes(10), 'image/jpeg');
    fake.storage.failNext(1, '500');
    const error = await rejection(store.get(key()));
    expect(error).toMatchObject({ code: 'supabase_storage_unavailable', retryable: true });
    expect(error.message).toContain('InternalError 500: Internal server error');
    fake.storage.failNext(1, 'network');
    expect(await rejection(store.exists(key()))).toMatchObject({ code: 'supabase_storage_unavailable', retryable: true });
  });

  it('413 EntityTooLarge, forced or from the bucket\'s file size limit, is a permanent supabase_entity_too_large', async () => {
    const store = withBucket({ fileSizeLimit: 1000 });
    fake.storage.failNext(1, '413');
    const forced = await rejection(store.put(key(), jpegBytes(10), 'image/jpeg'));
    expect(forced).toMatchObject({ code: 'supabase_entity_too_large', retryable: false });
    expect(forced.message).toContain('EntityTooLarge 413');
    const real = await rejection(store.put(key(), jpegBytes(2000), 'image/jpeg'));
    expect(real).toMatchObject({ code: 'supabase_entity_too_large', retryable: false });
  });

  it('415 InvalidMimeType from a bucket that allows other types is a permanent supabase_invalid_mime_type', async () => {
    const store = withBucket({ allowedMimeTypes: ['image/png'] });
    const error = await rejection(store.put(key(), jpegBytes(10), 'image/jpeg'));
    expect(error).toMatchObject({ code: 'supabase_invalid_mime_type', retryable: false });
    expect(error.message).toContain('mime type image/jpeg is not supported');
  });

  it('refuses keys outside [A-Za-z0-9_./-] before sending anything; Storage\'s own InvalidKey is supabase_invalid_key', async () => {
    const store = withBucket();
    for (const bad of ['a b.jpg', 'ключ.jpg', 'a?b.jpg', '../x.jpg']) {
      expect(await rejection(store.put(bad, Buffer.from('x'), 'image/jpeg'))).toMatchObject({ code: 'invalid_storage_key' });
    }
    expect(fake.requests).toEqual([]);

    const { error } = await createSupabaseServerClient(config()).storage.from(bucket).upload('folder/ключ.jpg', Buffer.from('x'), { contentType: 'image/jpeg' });
    expect(error).toMatchObject({ status: 400, statusCode: '400', code: 'InvalidKey', message: 'Invalid key: folder/ключ.jpg' });
    expect(classifyStorageError(error, { operation: 'upload', bucket, key: 'folder/ключ.jpg' })).toMatchObject({ code: 'supabase_invalid_key', retryable: false });
  });

  it('a missing bucket is a permanent supabase_bucket_missing that says how to create it, for writes, reads and existence checks', async () => {
    const store = storeWith({ bucket: 'nobody-made-this' });
    const error = await rejection(store.put(key(), jpegBytes(10), 'image/jpeg'));
    expect(error).toMatchObject({ code: 'supabase_bucket_missing', retryable: false });
    expect(error.message).toContain('NoSuchBucket 404: Bucket not found');
    expect(error.message).toContain('SUPABASE_CREATE_BUCKET=true');
    expect(await rejection(store.get(key()))).toMatchObject({ code: 'supabase_bucket_missing' });
    // storage-js's exists() throws for anything but "no such key"; a missing bucket is not "false".
    expect(await rejection(store.exists(key()))).toMatchObject({ code: 'supabase_bucket_missing' });
  });

  it('a missing object is a permanent blob_not_found for reads and signing', async () => {
    const store = withBucket();
    expect(await rejection(store.get(key('gone.jpg')))).toMatchObject({ code: 'blob_not_found', retryable: false });
    expect(await rejection(store.signedUrl(key('gone.jpg'), 60))).toMatchObject({ code: 'blob_not_found', retryable: false });
  });

  it('the anon key is denied by row-level security: a permanent supabase_access_denied that names SUPABASE_KEY', async () => {
    fake.storage.createBucket(bucket);
    const anon = storeWith({ key: ANON_KEY });
    const error = await rejection(anon.put(key(), jpegBytes(10), 'image/jpeg'));
    expect(error).toMatchObject({ code: 'supabase_access_denied', retryable: false });
    expect(error.message).toContain('AccessDenied 403: new row violates row-level security policy');
    expect(error.message).toContain('SUPABASE_KEY');
    expect(sent('POST', `/storage/v1/object/${bucket}/${key()}`)[0]!.headers.authorization).toBe(`Bearer ${ANON_KEY}`);
    // A key the project does not know at all is stopped by the gateway (401): denied as well.
    const unknown = await rejection(storeWith({ key: 'not-a-key-of-this-project' }).put(key(), jpegBytes(10), 'image/jpeg'));
    expect(unknown).toMatchObject({ code: 'supabase_access_denied', retryable: false });
  });

  it('the factory refuses the anon key before sending anything, and builds the Supabase store from config', async () => {
    const env = { DATA_DIR: '/tmp/unused', SUPABASE_URL: fake.url, SUPABASE_BUCKET: bucket };
    expect(() => createBlobStore(loadConfig({ ...env, SUPABASE_KEY: ANON_KEY }).storage)).toThrow(/SUPABASE_KEY is the anon key/);
    const store = createBlobStore(loadConfig({ ...env, SUPABASE_KEY: SERVICE_ROLE_KEY, SUPABASE_CREATE_BUCKET: 'true' }).storage);
    expect(store).toBeInstanceOf(SupabaseBlobStore);
    expect(fake.requests).toEqual([]);
    await ensureBucket(store);
    await store.put(key(), Buffer.from('x'), 'image/jpeg');
    expect(await store.exists(key())).toBe(true);
  });
});

describe('Supabase blob store contract: signed URLs', () => {
  it('signs with POST /object/sign/{bucket}/{key} {expiresIn}; the URL serves the bytes without a key until it expires', async () => {
    const store = withBucket();
    const bytes = jpegBytes();
    await store.put(key(), bytes, 'image/jpeg');
    const url = await store.signedUrl(key(), 5);

    expect(JSON.parse(sent('POST', `/storage/v1/object/sign/${bucket}/${key()}`)[0]!.body.toString())).toEqual({ expiresIn: 5 });
    expect(url.startsWith(`${fake.url}/storage/v1/object/sign/${bucket}/${key()}?token=`)).toBe(true);
    const fresh = await fetch(url);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await fresh.arrayBuffer()).equals(bytes)).toBe(true);

    const tampered = await fetch(url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect(tampered.status).toBe(400);

    fake.storage.advanceClock(6_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ statusCode: '400', code: 'InvalidJWT', message: 'jwt expired' });
  });

  it('refuses a ttl that is not a whole number of seconds ≥ 1', async () => {
    const store = withBucket();
    for (const ttl of [0, -5, 1.5, Number.NaN]) {
      expect(await rejection(store.signedUrl(key(), ttl))).toMatchObject({ code: 'invalid_signed_url_ttl' });
    }
  });
});

describe('Supabase blob store contract: ensureBucket at start-up', () => {
  it('refuses a missing bucket when creating is not allowed, and says how to fix it', async () => {
    const store = storeWith({ createBucket: false });
    await expect(store.ensureBucket()).rejects.toThrow(/SUPABASE_CREATE_BUCKET=true/);
    expect(sent('POST', '/storage/v1/bucket')).toEqual([]);
    expect(fake.storage.buckets.has(bucket)).toBe(false);
  });

  it('creates a missing bucket as private when allowed, once', async () => {
    const store = storeWith({ createBucket: true });
    expect(await store.ensureBucket()).toEqual({ created: true });
    expect(JSON.parse(sent('POST', '/storage/v1/bucket')[0]!.body.toString())).toMatchObject({ id: bucket, name: bucket, public: false });
    expect(fake.storage.buckets.get(bucket)!.public).toBe(false);
    expect(await store.ensureBucket()).toEqual({ created: false });
    expect(sent('POST', '/storage/v1/bucket')).toHaveLength(1);
  });

  it('refuses a public bucket, whatever the settings', async () => {
    fake.storage.createBucket(bucket, { public: true });
    await expect(storeWith({ createBucket: true }).ensureBucket()).rejects.toThrow(/is public: anyone with an object's URL could read customer photos/);
  });

  it('with the anon key the bucket is invisible and cannot be created: supabase_access_denied', async () => {
    fake.storage.createBucket(bucket);
    const error = await storeWith({ key: ANON_KEY, createBucket: true }).ensureBucket().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'supabase_access_denied' });
  });

  it('a private bucket passes; a local store needs nothing', async () => {
    fake.storage.createBucket(bucket);
    expect(await storeWith().ensureBucket()).toEqual({ created: false });
    await ensureBucket(createBlobStore(loadConfig({ DATA_DIR: '/tmp/unused-local' }).storage));
  });
});
