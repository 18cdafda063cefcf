import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { processImage, MEDIA_ERROR } from '../../src/media/process-image.ts';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { OPTIONS, fixture } from './fixtures.ts';

/** Runs the pipeline and returns the PipelineError it must throw. */
async function failure(input: Buffer, maxPixels = OPTIONS.maxPixels): Promise<PipelineError> {
  const outcome = await processImage(input, { kind: 'image' }, { ...OPTIONS, maxPixels }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(PipelineError);
  const error = outcome as PipelineError;
  expect(error.retryable).toBe(false);
  expect(error.message.length).toBeGreaterThan(10);
  return error;
}

const BAD_FILES = [
  ['empty.jpg', MEDIA_ERROR.empty],
  ['pdf-labelled-as-jpeg.jpg', MEDIA_ERROR.notImage],
  ['html-instead-of-image.html', MEDIA_ERROR.notImage],
  ['truncated.jpg', MEDIA_ERROR.corrupt],
  ['pixel-bomb-30000x30000.png', MEDIA_ERROR.tooManyPixels],
] as const;

describe('processImage: bytes that are not a usable image', () => {
  it('uses the documented, stable codes', () => {
    expect(MEDIA_ERROR).toEqual({
      empty: 'media_empty',
      notImage: 'media_not_image',
      corrupt: 'media_corrupt',
      tooManyPixels: 'media_too_many_pixels',
      tooManyFrames: 'media_too_many_frames',
      timeout: 'media_processing_timeout',
    });
  });

  it.each(BAD_FILES)('refuses images-bad/%s with %s', async (name, code) => {
    const error = await failure(await fixture(`images-bad/${name}`));
    expect(error.code).toBe(code);
  });

  it('gives each kind of failure its own code', async () => {
    const codes = await Promise.all(
      BAD_FILES.map(async ([name]) => (await failure(await fixture(`images-bad/${name}`))).code),
    );
    // The PDF and the HTML page are the same failure (not an image); the other three differ from it and each other.
    expect(new Set(codes).size).toBe(4);
    expect(codes[1]).toBe(codes[2]);
  });

  it('says what the bytes looked like instead', async () => {
    expect((await failure(await fixture('images-bad/pdf-labelled-as-jpeg.jpg'))).message).toMatch(/PDF/);
    expect((await failure(await fixture('images-bad/html-instead-of-image.html'))).message).toMatch(/HTML/);
  });

  it('keeps the sharp error as the cause of a corrupt image', async () => {
    const error = await failure(await fixture('images-bad/truncated.jpg'));
    expect(error.message).toMatch(/truncated or cannot be decoded/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses a truncated PNG as corrupt too', async () => {
    const png = await fixture('photos/screenshot-rgba.png');
    expect((await failure(png.subarray(0, png.length / 2))).code).toBe(MEDIA_ERROR.corrupt);
  });

  it('applies the configured pixel limit to ordinary photos', async () => {
    const photo = await fixture('photos/landscape-orientation-1.jpg');
    expect((await failure(photo, 1_000_000)).code).toBe(MEDIA_ERROR.tooManyPixels);
  });

  it.each([
    ['SVG', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'],
    ['plain text', 'hello, this is not a picture'],
    ['JSON error', '{"error":{"message":"Invalid OAuth access token","code":190}}'],
  ])('refuses %s as not an image', async (_label, text) => {
    expect((await failure(Buffer.from(text))).code).toBe(MEDIA_ERROR.notImage);
  });

  it('refuses a header-only file that only looks like an image', async () => {
    // A PNG signature followed by garbage: sharp recognises the type but cannot read it.
    const fake = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 7)]);
    expect((await failure(fake)).code).toBe(MEDIA_ERROR.corrupt);
  });
});

describe('animations that would tie up a worker', () => {
  it('refuses an animation with more frames than any sticker has, quickly', async () => {
    const frame = (shade: number) => sharp({ create: { width: 16, height: 16, channels: 3, background: { r: shade, g: (shade % 2) * 255, b: 255 - shade } } }).png().toBuffer();
    const frames = await Promise.all(Array.from({ length: 301 }, (_, i) => frame((i * 37) % 256)));
    const animation = await sharp(frames, { join: { animated: true } }).webp({ lossless: true }).toBuffer();
    expect((await sharp(animation, { animated: true }).metadata()).pages).toBe(301);
    await expect(processImage(animation, { kind: 'document' }, { maxEdge: 2048, format: 'jpeg', quality: 82, maxPixels: 50_000_000 })).rejects.toMatchObject({
      code: 'media_too_many_frames',
      retryable: false,
    });
  });
});
