import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { processImage, type ProcessedImage, type ProcessImageOptions } from '../../src/media/process-image.ts';

export { FIXTURES } from '../support/fixtures.ts';
import { FIXTURES } from '../support/fixtures.ts';

export const OPTIONS: ProcessImageOptions = { maxEdge: 2048, format: 'jpeg', quality: 80, maxPixels: 50_000_000 };

export function fixture(name: string): Promise<Buffer> {
  return readFile(path.join(FIXTURES, name));
}

export async function processFixture(
  name: string,
  options: Partial<ProcessImageOptions> = {},
  kind: 'image' | 'sticker' | 'document' = 'image',
): Promise<ProcessedImage> {
  return processImage(await fixture(name), { kind }, { ...OPTIONS, ...options });
}

/** Reads the output back the way a viewer would, so assertions are about the stored file, not our return value. */
export function readBack(image: ProcessedImage): Promise<Metadata> {
  return sharp(image.bytes).metadata();
}

/** Mean absolute difference per channel value between two images scaled to the same small raw size. */
export async function meanDifference(a: Buffer, b: Buffer): Promise<number> {
  const small = (input: Buffer) =>
    sharp(input).autoOrient().resize(90, 60, { fit: 'fill' }).toColourspace('srgb').removeAlpha().raw().toBuffer();
  const [left, right] = await Promise.all([small(a), small(b)]);
  let total = 0;
  for (let i = 0; i < left.length; i++) total += Math.abs((left[i] ?? 0) - (right[i] ?? 0));
  return total / left.length;
}

export function mean(values: Uint8Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}
