import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { processImage } from '../../src/media/process-image.ts';
import { OPTIONS, fixture, mean, meanDifference, processFixture, readBack } from './fixtures.ts';

describe('processImage: orientation and size', () => {
  it('keeps an orientation-1 landscape at 1800x1200 when it already fits', async () => {
    const out = await processFixture('photos/landscape-orientation-1.jpg');
    const meta = await readBack(out);
    expect([meta.width, meta.height]).toEqual([1800, 1200]);
    expect([out.width, out.height]).toEqual([1800, 1200]);
    expect(out).toMatchObject({ mimeType: 'image/jpeg', extension: 'jpg', originalMimeType: 'image/jpeg' });
  });

  // This file is stored sideways (1200x1800) with orientation 6: applying the tag makes it upright landscape.
  it('turns orientation 6 upright: the same picture as the orientation-1 photo, tag gone', async () => {
    const out = await processFixture('photos/landscape-orientation-6.jpg');
    const meta = await readBack(out);
    expect([meta.width, meta.height]).toEqual([1800, 1200]);
    expect(meta.orientation).toBeUndefined();
    expect(await meanDifference(out.bytes, await fixture('photos/landscape-orientation-1.jpg'))).toBeLessThan(3);
  });

  it('turns orientation 8 into an upright portrait with the bright sky on top', async () => {
    const out = await processFixture('photos/portrait-orientation-8.jpg');
    const meta = await readBack(out);
    expect([meta.width, meta.height]).toEqual([1200, 1800]);
    expect(meta.orientation).toBeUndefined();
    const grey = await sharp(out.bytes).greyscale().raw().toBuffer();
    const rowsMean = (from: number, to: number) => mean(grey.subarray(from * 1200, to * 1200));
    expect(rowsMean(0, 300)).toBeGreaterThan(rowsMean(1500, 1800) + 30);
  });

  it('fits 1800x1200 into maxEdge 1024 as 1024x683, keeping the aspect (the old reference forced 1024x768)', async () => {
    const out = await processFixture('photos/landscape-orientation-1.jpg', { maxEdge: 1024 });
    const meta = await readBack(out);
    expect([meta.width, meta.height]).toEqual([1024, 683]);
    expect([out.width, out.height]).toEqual([1024, 683]);
    const portrait = await readBack(await processFixture('photos/portrait-orientation-8.jpg', { maxEdge: 1024 }));
    expect([portrait.width, portrait.height]).toEqual([683, 1024]);
  });

  it('never upscales a small image', async () => {
    const out = await processFixture('photos/sticker-static.webp', { maxEdge: 4096 }, 'document');
    expect([out.width, out.height]).toEqual([512, 512]);
  });
});

describe('processImage: privacy and colour', () => {
  it('drops GPS, camera and every other metadata block, and applies the orientation it carried', async () => {
    const input = await fixture('photos/photo-with-gps.jpg');
    expect(input.includes('TestPhone')).toBe(true);
    const out = await processImage(input, { kind: 'image' }, OPTIONS);
    const meta = await readBack(out);
    for (const block of ['exif', 'xmp', 'iptc', 'icc', 'orientation'] as const) expect(meta[block]).toBeUndefined();
    expect(out.bytes.includes('TestPhone')).toBe(false);
    expect(meta.height).toBeGreaterThan(meta.width);
  });

  it('converts a CMYK JPEG to 3-channel sRGB with the colours of the original photo', async () => {
    const out = await processFixture('photos/cmyk.jpg');
    const meta = await readBack(out);
    expect(meta).toMatchObject({ space: 'srgb', channels: 3, hasProfile: false });
    // cmyk.jpg is the orientation-1 photo separated to CMYK: the ICC route lands ~4 off, a naive formula ~15.
    expect(await meanDifference(out.bytes, await fixture('photos/landscape-orientation-1.jpg'))).toBeLessThan(8);
  });

  it('honours an embedded Display P3 profile, then drops it', async () => {
    const colour = { r: 200, g: 60, b: 60 };
    const p3 = await sharp({ create: { width: 8, height: 8, channels: 3, background: colour } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    const [p3Red] = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(Math.abs((p3Red ?? 0) - colour.r)).toBeGreaterThan(8);
    const out = await processImage(p3, { kind: 'document' }, { ...OPTIONS, format: 'webp', quality: 100 });
    expect((await readBack(out)).hasProfile).toBe(false);
    const [r = 0, g = 0, b = 0] = await sharp(out.bytes).raw().toBuffer();
    expect(Math.max(Math.abs(r - colour.r), Math.abs(g - colour.g), Math.abs(b - colour.b))).toBeLessThanOrEqual(4);
  });

  it.each(['jpeg', 'webp', 'avif'] as const)('turns a 16-bit PNG into 8-bit %s', async (format) => {
    const out = await processFixture('photos/rgb-16bit.png', { format, maxEdge: 600 });
    const meta = await readBack(out);
    expect(meta).toMatchObject({ depth: 'uchar', space: 'srgb' });
  });

  it('flattens a transparent screenshot onto white when the output is JPEG', async () => {
    const out = await processFixture('photos/screenshot-rgba.png');
    const meta = await readBack(out);
    expect(meta).toMatchObject({ format: 'jpeg', channels: 3, hasAlpha: false });
    expect([out.width, out.height]).toEqual([946, 2048]);
    // The corner is fully transparent in the source; mozjpeg may shift white by a level.
    const corner = await sharp(out.bytes).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer();
    expect([...corner].every((v) => v >= 250)).toBe(true);
  });

  it('keeps transparency when the output format can carry it', async () => {
    const meta = await readBack(await processFixture('photos/screenshot-rgba.png', { format: 'webp' }));
    expect(meta).toMatchObject({ format: 'webp', hasAlpha: true });
  });
});

describe('processImage: formats and stickers', () => {
  it.each([
    ['webp', 'image/webp', 'webp', 'webp'],
    ['avif', 'image/avif', 'avif', 'heif'],
  ] as const)('encodes to %s when configured', async (format, mimeType, extension, sharpFormat) => {
    const out = await processFixture('photos/landscape-orientation-1.jpg', { format, maxEdge: 800 });
    expect(out).toMatchObject({ mimeType, extension, width: 800, height: 533 });
    expect((await readBack(out)).format).toBe(sharpFormat);
  });

  it('keeps a static sticker as WebP even when JPEG is configured', async () => {
    const out = await processFixture('photos/sticker-static.webp', {}, 'sticker');
    expect(out).toMatchObject({ mimeType: 'image/webp', animated: false, width: 512, height: 512 });
    expect(await readBack(out)).toMatchObject({ format: 'webp', hasAlpha: true });
  });

  it('keeps every frame of an animated sticker', async () => {
    const out = await processFixture('photos/sticker-animated.webp', {}, 'sticker');
    expect(out).toMatchObject({ mimeType: 'image/webp', animated: true, width: 512, height: 512 });
    const meta = await readBack(out);
    expect(meta).toMatchObject({ format: 'webp', pages: 3 });
    expect(meta.delay).toEqual([200, 200, 200]);
  });

  it('keeps an animated GIF animated (as WebP) whatever the request kind', async () => {
    // Distinct frames: the GIF encoder merges identical ones.
    const frames = await Promise.all(
      ['#f00', '#0f0', '#00f'].map((background) =>
        sharp({ create: { width: 40, height: 40, channels: 3, background } }).png().toBuffer(),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    const out = await processImage(gif, { kind: 'image' }, OPTIONS);
    expect(out).toMatchObject({ mimeType: 'image/webp', originalMimeType: 'image/gif', animated: true, height: 40 });
    expect((await readBack(out)).pages).toBe(3);
  });

  it.each([
    ['tiff', 'image/tiff'],
    ['avif', 'image/avif'],
    ['gif', 'image/gif'],
    ['png', 'image/png'],
  ] as const)('accepts %s input and reports it as %s', async (format, originalMimeType) => {
    const input = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#fa0' } })
      .toFormat(format)
      .toBuffer();
    const out = await processImage(input, { kind: 'document' }, OPTIONS);
    expect(out).toMatchObject({ originalMimeType, mimeType: 'image/jpeg', width: 30, height: 20, animated: false });
  });
});
