import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, freshFixture } from '../support/fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ KEEP_ORIGINAL: 'true', OUTPUT_FORMAT: 'webp', OUTPUT_QUALITY: '70' });
});
afterAll(async () => h?.close());

describe('KEEP_ORIGINAL and OUTPUT_FORMAT', () => {
  it('keeps the original bytes exactly as Meta sent them, beside the processed WebP', async () => {
    const { body, wamids } = freshFixture('mixed-batch');
    expect((await h.post(body)).status).toBe(200);
    const photo = (await Promise.all(wamids.map((w) => h.service.catalog.get(w)))).find(Boolean);
    const [record] = await h.waitForFinal([photo?.wamid ?? '']);
    expect(record).toMatchObject({ status: 'stored', mimeType: 'image/webp', originalMimeType: 'image/jpeg' });
    expect(record?.storagePath).toMatch(/\.webp$/);
    expect(record?.originalPath).toMatch(/\.original\.jpg$/);

    const original = await h.service.blobs.get(record?.originalPath ?? '');
    const fixture = await readFile(fixturePath('photos/photo-with-gps.jpg'));
    expect(createHash('sha256').update(original.bytes).digest('hex')).toBe(createHash('sha256').update(fixture).digest('hex'));
    expect(original.contentType).toBe('image/jpeg');

    const processed = await h.service.blobs.get(record?.storagePath ?? '');
    expect((await sharp(processed.bytes).metadata()).format).toBe('webp');
  });
});
