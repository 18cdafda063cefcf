import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { createBlobStore } from '../../src/storage/create-blob-store.ts';
import { LocalBlobStore } from '../../src/storage/local-blob-store.ts';
import { PipelineError } from '../../src/shared/pipeline-error.ts';

describe('LocalBlobStore specifics', () => {
  let parent: string;
  let root: string;
  beforeEach(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'mv-local-'));
    root = path.join(parent, 'media');
  });
  afterEach(async () => rm(parent, { recursive: true, force: true }));

  it('keeps blobs as plain files at their key, with the type in a hidden sidecar', async () => {
    const store = new LocalBlobStore(root);
    await store.put('123/2026/03/01/a-0011223344556677.jpg', Buffer.from('jpeg bytes'), 'image/jpeg');
    const dir = path.join(root, '123', '2026', '03', '01');
    expect(await readFile(path.join(dir, 'a-0011223344556677.jpg'), 'utf8')).toBe('jpeg bytes');
    expect((await readdir(dir)).sort()).toEqual(['.a-0011223344556677.jpg.meta.json', 'a-0011223344556677.jpg']);
  });

  it('derives the type from the extension for a file without a sidecar', async () => {
    const store = new LocalBlobStore(root);
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'copied.webp'), 'x');
    await writeFile(path.join(root, 'copied.dat'), 'x');
    expect((await store.get('copied.webp')).contentType).toBe('image/webp');
    expect((await store.get('copied.dat')).contentType).toBe('application/octet-stream');
  });

  it('delete removes the sidecar too', async () => {
    const store = new LocalBlobStore(root);
    await store.put('x/y.png', Buffer.from('png'), 'image/png');
    await store.delete('x/y.png');
    expect(await readdir(path.join(root, 'x'))).toEqual([]);
  });

  it('reports a write that cannot succeed as a (retryable) disk error, leaving no temp file', async () => {
    const store = new LocalBlobStore(root);
    await store.put('a.jpg', Buffer.from('x'), 'image/jpeg');
    const error = await store.put('a.jpg/b.jpg', Buffer.from('y'), 'image/jpeg').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'blob_write_failed', retryable: true });
    expect((await readdir(root)).sort()).toEqual(['.a.jpg.meta.json', 'a.jpg']);
  });

  it('is built from config by the factory, without touching the disk', async () => {
    const store = createBlobStore({ ...loadConfig({ DATA_DIR: parent }).storage, kind: 'local', localDir: root });
    expect(store).toBeInstanceOf(LocalBlobStore);
    expect(store.describe()).toBe(`local disk at ${root}`);
    expect(await readdir(parent)).toEqual([]);
  });
});
