import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { LocalBlobStore } from '../../src/storage/local-blob-store.ts';
import { storageKeyFor } from '../../src/storage/storage-key.ts';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { SupabaseBlobStore } from '../../src/storage/supabase-blob-store.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from '../support/fake-supabase/keys.ts';
import { startFakeSupabase } from '../support/fake-supabase/server.ts';

/** What the suite needs besides the port; adapters that cannot inspect their backing store leave hooks out. */
interface BlobStoreUnderTest {
  store: BlobStore;
  /** Everything that exists beside (outside) the store's root: must stay empty. */
  outsideRoot?(): Promise<string[]>;
  /** Every object or file under the root, including the store's own hidden ones. */
  allFiles?(): Promise<string[]>;
  /** A safe absolute path whose use as a key must be refused (for local stores: inside the test's temp dir). */
  absoluteProbe: string;
  teardown(): Promise<void>;
}

const adapters: { name: string; open(): Promise<BlobStoreUnderTest> }[] = [
  {
    name: 'local disk',
    open: async () => {
      const parent = await mkdtemp(path.join(os.tmpdir(), 'mv-blobs-'));
      const root = path.join(parent, 'root');
      return {
        store: new LocalBlobStore(root),
        outsideRoot: async () => (await readdir(parent)).filter((name) => name !== 'root'),
        allFiles: async () =>
          (await readdir(root, { recursive: true, withFileTypes: true }))
            .filter((entry) => entry.isFile())
            .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name))),
        absoluteProbe: path.join(parent, 'absolute-target.jpg'),
        teardown: () => rm(parent, { recursive: true, force: true }),
      };
    },
  },
  {
    // supabase-js really builds and sends every call; the fake answers as Supabase Storage does.
    name: 'Supabase Storage (supabase-js against the fake Supabase server)',
    open: async () => {
      const fake = await startFakeSupabase({ serviceRoleKey: SERVICE_ROLE_KEY, anonKey: ANON_KEY });
      const bucket = 'contract-bucket';
      fake.storage.createBucket(bucket);
      fake.storage.createBucket('neighbour');
      const store = new SupabaseBlobStore({ url: fake.url, key: SERVICE_ROLE_KEY, bucket, createBucket: false, cacheControlSeconds: 3600 });
      return {
        store,
        outsideRoot: async () =>
          [...fake.storage.buckets.values()].filter((b) => b.id !== bucket).flatMap((b) => [...b.objects.keys()].map((k) => `${b.id}/${k}`)),
        allFiles: async () => [...fake.storage.buckets.get(bucket)!.objects.keys()],
        absoluteProbe: '/tmp/absolute-target.jpg',
        teardown: () => fake.close(),
      };
    },
  },
];

async function rejection(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

let keyCounter = 0;
const freshKey = (extension = 'jpg') => `test/${Date.now()}-${(keyCounter += 1)}-${randomBytes(4).toString('hex')}.${extension}`;

const UNSAFE_KEYS = [
  '../x', 'a/../../b', '../../../../tmp/escape.jpg', 'a/./b.jpg', './a.jpg', '.', '..', '', 'a//b.jpg', 'a/',
  '/a.jpg', 'a\u0000b.jpg', 'a b.jpg', 'ünïcode.jpg', '日本.jpg', '😀.jpg', 'a\\..\\b.jpg', 'C:\\x.jpg', 'a\nb.jpg',
  '.hidden.jpg', 'a/.b.jpg.meta.json', '%2e%2e/x.jpg', 'a?b.jpg', 'a*.jpg', `${'x'.repeat(201)}.jpg`,
];

describe.each(adapters)('BlobStore contract: $name', (adapter) => {
  let sut: BlobStoreUnderTest;
  let store: BlobStore;

  beforeAll(async () => {
    sut = await adapter.open();
    store = sut.store;
  });
  afterAll(async () => sut?.teardown());

  it('round-trips bytes exactly, with the content type', async () => {
    const key = freshKey();
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
    await store.put(key, bytes, 'image/jpeg');
    const got = await store.get(key);
    expect(got.contentType).toBe('image/jpeg');
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('keeps the content type the caller gave, whatever the extension says', async () => {
    const key = freshKey('bin');
    await store.put(key, Buffer.from('RIFF....WEBP'), 'image/webp');
    expect((await store.get(key)).contentType).toBe('image/webp');
  });

  it('stores an empty object', async () => {
    const key = freshKey();
    await store.put(key, Buffer.alloc(0), 'image/jpeg');
    expect((await store.get(key)).bytes.length).toBe(0);
    expect(await store.exists(key)).toBe(true);
  });

  it('overwrites an existing key', async () => {
    const key = freshKey();
    await store.put(key, Buffer.from('first version'), 'image/jpeg');
    await store.put(key, Buffer.from('second'), 'image/png');
    const got = await store.get(key);
    expect(got.bytes.toString()).toBe('second');
    expect(got.contentType).toBe('image/png');
  });

  it('answers concurrent writes to one key with one whole version, never a mix', async () => {
    const key = freshKey();
    const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i));
    await Promise.all(versions.map((bytes) => store.put(key, bytes, 'image/jpeg')));
    const got = (await store.get(key)).bytes;
    expect(versions.some((v) => v.equals(got))).toBe(true);
  });

  it('exists and delete follow the object, and delete of a missing key is a no-op', async () => {
    const key = freshKey();
    expect(await store.exists(key)).toBe(false);
    await store.put(key, Buffer.from('x'), 'image/jpeg');
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    await store.delete(key);
    await store.delete(freshKey());
  });

  it('reports a missing key as blob_not_found, a permanent error', async () => {
    const error = await rejection(store.get(freshKey()));
    expect(error.code).toBe('blob_not_found');
    expect(error.retryable).toBe(false);
  });

  it('treats a key that is only a prefix of other keys as missing', async () => {
    const dir = `prefix-${randomBytes(4).toString('hex')}`;
    await store.put(`${dir}/inner.jpg`, Buffer.from('x'), 'image/jpeg');
    expect(await store.exists(dir)).toBe(false);
    expect((await rejection(store.get(dir))).code).toBe('blob_not_found');
    expect((await rejection(store.get(`${dir}/inner.jpg/deeper.jpg`))).code).toBe('blob_not_found');
    await store.delete(dir);
    expect(await store.exists(`${dir}/inner.jpg`)).toBe(true);
  });

  it('accepts the keys storageKeyFor builds', async () => {
    const media = { wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', phoneNumberId: '106540352242922', messageTimestamp: new Date() };
    for (const key of [storageKeyFor(media, 'jpg'), storageKeyFor(media, 'png', 'original')]) {
      await store.put(key, Buffer.from(key), 'image/jpeg');
      expect((await store.get(key)).bytes.toString()).toBe(key);
    }
  });

  it.each(UNSAFE_KEYS.map((key) => [JSON.stringify(key), key]))('refuses the unsafe key %s for every operation', async (_label, key) => {
    const attempts = [() => store.put(key, Buffer.from('escape'), 'image/jpeg'), () => store.get(key), () => store.exists(key), () => store.delete(key)];
    for (const attempt of attempts) expect((await rejection(attempt())).code).toBe('invalid_storage_key');
  });

  it('refuses absolute paths, reading /etc/passwd included', async () => {
    expect((await rejection(store.put(sut.absoluteProbe, Buffer.from('escape'), 'image/jpeg'))).code).toBe('invalid_storage_key');
    expect((await rejection(store.get('/etc/passwd'))).code).toBe('invalid_storage_key');
    expect((await rejection(store.exists('/etc/passwd'))).code).toBe('invalid_storage_key');
  });

  it('refuses a content type that is not a plain header value', async () => {
    expect((await rejection(store.put(freshKey(), Buffer.from('x'), 'image/jpeg\r\nX-Evil: 1'))).code).toBe('invalid_content_type');
    expect((await rejection(store.put(freshKey(), Buffer.from('x'), ''))).code).toBe('invalid_content_type');
  });

  it('has written nothing outside its root and left no temporary files', async ({ skip }) => {
    if (!sut.outsideRoot || !sut.allFiles) skip();
    expect(await sut.outsideRoot!()).toEqual([]);
    const files = await sut.allFiles!();
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files.filter((f) => f.includes('escape'))).toEqual([]);
  });

  it('describes itself for logs', () => {
    expect(store.describe()).toMatch(/\S/);
  });
});
