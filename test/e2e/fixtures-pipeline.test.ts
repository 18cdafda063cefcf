import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRecord } from '../../src/catalog/media-record.ts';
import { freshFixture } from '../support/fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

async function run(fixture: string) {
  const { body, wamids } = freshFixture(fixture);
  const response = await h.post(body);
  expect(response.status).toBe(200);
  return { wamids, records: await h.waitForFinal(wamids.filter(Boolean)) };
}

/** What every stored photo must be: the recorded hash, no metadata, within the edge limit, a real image. */
async function expectCleanStoredImage(record: MediaRecord) {
  expect(record.status).toBe('stored');
  const { bytes, contentType } = await h.service.blobs.get(record.storagePath ?? '');
  expect(contentType).toBe(record.mimeType);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(record.contentSha256);
  expect(bytes.length).toBe(record.byteSize);
  expect(record.fileSizeKb).toBe(Math.ceil(bytes.length / 1024));
  const meta = await sharp(bytes).metadata();
  expect(meta.exif).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.iptc).toBeUndefined();
  expect(meta.orientation).toBeUndefined();
  expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(h.config.media.maxEdge);
  expect([meta.width, meta.height]).toEqual([record.width, record.height]);
  return meta;
}

describe('fixtures through the real server and the Graph stand-in', () => {
  it('image-with-caption: one stored JPEG, caption kept in the seed column', async () => {
    const { records } = await run('image-with-caption');
    expect(records).toHaveLength(1);
    const meta = await expectCleanStoredImage(records[0] as MediaRecord);
    expect(meta.format).toBe('jpeg');
    expect(records[0]?.caption).toBeTruthy();
    expect(records[0]?.phoneNumberId).toBe('100000000000001');
  });

  it('album-three-photos: three rows, three files, each upright (EXIF 6 and 8 applied)', async () => {
    const { records } = await run('album-three-photos');
    expect(records.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
    expect(new Set(records.map((r) => r.storagePath)).size).toBe(3);
    const metas = await Promise.all(records.map(expectCleanStoredImage));
    expect(metas.map((m) => [m.width, m.height])).toEqual([
      [1800, 1200],
      [1800, 1200], // stored 1200×1800 with orientation 6: a landscape once turned
      [1200, 1800], // stored 1800×1200 with orientation 8: a portrait once turned
    ]);
  });

  it('sticker-static and sticker-animated stay WebP, the animated one with its 3 frames', async () => {
    const [staticSticker] = (await run('sticker-static')).records;
    const [animated] = (await run('sticker-animated')).records;
    expect((await expectCleanStoredImage(staticSticker as MediaRecord)).format).toBe('webp');
    expect(animated?.mimeType).toBe('image/webp');
    const { bytes } = await h.service.blobs.get(animated?.storagePath ?? '');
    expect((await sharp(bytes, { animated: true }).metadata()).pages).toBe(3);
  });

  it('document-photo: a PNG sent as a document is stored as an image', async () => {
    const [record] = (await run('document-photo')).records;
    expect(record?.kind).toBe('document');
    await expectCleanStoredImage(record as MediaRecord);
  });

  it('document-pdf: acknowledged, no row', async () => {
    const { body, wamids } = freshFixture('document-pdf');
    expect((await h.post(body)).status).toBe(200);
    expect(await h.service.catalog.get(wamids[0] ?? '')).toBeUndefined();
  });

  it('mixed-batch: the photo in the second entry is stored without its GPS; text and voice note are not', async () => {
    const { body, wamids } = freshFixture('mixed-batch');
    expect((await h.post(body)).status).toBe(200);
    const rows = await Promise.all(wamids.map((w) => h.service.catalog.get(w)));
    const photos = rows.filter((r) => r !== undefined);
    expect(photos).toHaveLength(1);
    const [record] = await h.waitForFinal([photos[0]?.wamid ?? '']);
    const meta = await expectCleanStoredImage(record as MediaRecord);
    expect(meta.height).toBeGreaterThan(meta.width ?? 0); // photo-with-gps carries orientation 6
  });

  it('unsupported (131051) and media-not-fetchable (131052): failed rows with Meta\'s code, no download tried', async () => {
    const before = h.standin.requests().length;
    const [unsupported] = (await run('unsupported')).records;
    const [notFetchable] = (await run('media-not-fetchable-131052')).records;
    expect(unsupported).toMatchObject({ status: 'failed', errorCode: 'meta_131051' });
    expect(notFetchable).toMatchObject({ status: 'failed', errorCode: 'meta_131052' });
    expect(h.standin.requests().length).toBe(before);
  });

  it('username-sender: stored with the user id and no phone number', async () => {
    const [record] = (await run('username-sender')).records;
    expect(record?.senderPhone).toBeUndefined();
    expect(record?.senderUserId).toBe('BR.5566778899001122');
    await expectCleanStoredImage(record as MediaRecord);
  });

  it('variety-pack: CMYK, 16-bit, RGBA and GPS photos all come out as plain 8-bit sRGB JPEGs', async () => {
    const { records } = await run('variety-pack');
    expect(records.map((r) => r.status)).toEqual(['stored', 'stored', 'stored', 'stored']);
    for (const record of records) {
      const meta = await expectCleanStoredImage(record);
      expect(meta).toMatchObject({ format: 'jpeg', space: 'srgb', depth: 'uchar', hasAlpha: false });
    }
  });

  it('bad-media-pack: one failed row per file, each with its own clear code, and the service still answers', async () => {
    const { records } = await run('bad-media-pack');
    expect(records.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    const codes = records.map((r) => r.errorCode);
    expect(new Set(codes).size).toBe(5);
    for (const record of records) expect(record.errorMessage?.length).toBeGreaterThan(10);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});
