import { rm, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshFixture } from '../support/fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';

// DESIGN.md §8: the faults of the Python reference we replace. Each test fails if we ever regress to one.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MAX_IMAGE_EDGE: '1024', MAX_ATTEMPTS: '2', HTTP_TIMEOUT_MS: '2000' });
});
afterAll(async () => h?.close());

describe('faults of the reference implementation stay fixed', () => {
  it('handles every entry, change and message, not only the first of each', async () => {
    const album = JSON.parse(freshFixture('album-three-photos').body) as { entry: { changes: { value: { messages: { id: string }[] } }[] }[] };
    const entry = album.entry[0];
    const change = entry?.changes[0];
    if (!entry || !change) throw new Error('fixture shape changed');
    // Two entries, each with two changes, each with the album's three messages under new wamids.
    const copyChange = (tag: string) => ({ ...change, value: { ...change.value, messages: change.value.messages.map((m) => ({ ...m, id: `${m.id}${tag}` })) } });
    const body = { ...album, entry: [{ ...entry, changes: [copyChange('a'), copyChange('b')] }, { ...entry, changes: [copyChange('c'), copyChange('d')] }] };
    const wamids = body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.messages.map((m) => m.id)));
    expect((await h.post(JSON.stringify(body))).status).toBe(200);
    const records = await h.waitForFinal(wamids);
    expect(records).toHaveLength(12);
    expect(records.every((r) => r.status === 'stored')).toBe(true);
  });

  it('answers 200 before downloading: a hanging Graph does not delay the webhook', async () => {
    h.standin.setFault('900000000000101', 'hang', 1);
    const { body, wamids } = freshFixture('image-with-caption');
    const response = await h.post(body);
    expect(response.status).toBe(200);
    const atAnswer = await h.service.catalog.get(wamids[0] ?? '');
    expect(atAnswer?.status === 'received' || atAnswer?.status === 'processing').toBe(true);
    expect((await h.waitForFinal(wamids))[0]?.status).toBe('stored');
  });

  it('fits inside the edge limit keeping the aspect ratio instead of forcing 1024×768', async () => {
    const { body, wamids } = freshFixture('album-three-photos');
    await h.post(body);
    const records = await h.waitForFinal(wamids);
    expect(records.map((r) => [r.width, r.height])).toEqual([
      [1024, 683],
      [1024, 683],
      [683, 1024],
    ]);
  });

  it('applies EXIF orientation and drops EXIF/GPS', async () => {
    const { body, wamids } = freshFixture('mixed-batch');
    await h.post(body);
    const photo = (await Promise.all(wamids.map((w) => h.service.catalog.get(w)))).find(Boolean);
    const [record] = await h.waitForFinal([photo?.wamid ?? '']);
    const meta = await sharp((await h.service.blobs.get(record?.storagePath ?? '')).bytes).metadata();
    expect(meta.height).toBeGreaterThan(meta.width ?? 0);
    expect(meta.exif).toBeUndefined();
  });

  it('gives album photos sent in the same second their own paths and their own bytes', async () => {
    const { body, wamids } = freshFixture('album-three-photos');
    await h.post(body);
    const records = await h.waitForFinal(wamids);
    expect(new Set(records.map((r) => r.storagePath)).size).toBe(3);
    expect(new Set(records.map((r) => r.contentSha256)).size).toBe(3);
  });

  it('never marks a row stored when the blob could not be written (errors are recorded, not swallowed)', async () => {
    // The media folder becomes a plain file: every write under it fails.
    await rm(h.config.storage.localDir, { recursive: true, force: true });
    await writeFile(h.config.storage.localDir, 'not a folder');
    try {
      const { body, wamids } = freshFixture('image-with-caption');
      expect((await h.post(body)).status).toBe(200);
      const [record] = await h.waitForFinal(wamids);
      expect(record?.status).toBe('failed');
      expect(record?.storagePath).toBeUndefined();
      expect(record?.errorCode).toBeTruthy();
      expect(record?.errorMessage).toMatch(/gave up after 2 attempts/);
    } finally {
      await rm(h.config.storage.localDir, { force: true });
    }
  });
});
