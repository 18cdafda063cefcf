import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { FIXTURE_PHOTOS, RESULTS_DIR } from './settings.ts';

export interface Photo {
  name: string;
  /** Where the bytes live on disk (fixtures, or the generated ones cached under bench/results/photos). */
  file: string;
  bytes: Buffer;
  mimeType: string;
}

const CACHE_DIR = path.join(RESULTS_DIR, 'photos');
const HD_WIDTH = 4032;
const HD_HEIGHT = 3024;

/** The shared fixture photos (JPEG and PNG; the WebP stickers take another path and are left out). */
export async function fixturePhotos(): Promise<Photo[]> {
  const names = (await readdir(FIXTURE_PHOTOS)).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      file: path.join(FIXTURE_PHOTOS, name),
      bytes: await readFile(path.join(FIXTURE_PHOTOS, name)),
      mimeType: name.endsWith('.png') ? 'image/png' : 'image/jpeg',
    })),
  );
}

/**
 * A phone's "HD" photo: a fixture photo stretched to 4032×3024 (12 MP) with Gaussian noise laid over it,
 * so JPEG has real detail to keep (a smooth upscale would compress to almost nothing). `sigma` and
 * `quality` set the file size.
 */
async function makeHdPhoto(options: { sigma: number; quality: number; orientation: number }): Promise<Buffer> {
  const noise = await sharp({
    create: { width: HD_WIDTH, height: HD_HEIGHT, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: options.sigma } },
  })
    .raw()
    .toBuffer();
  return sharp(path.join(FIXTURE_PHOTOS, 'landscape-orientation-1.jpg'))
    .resize(HD_WIDTH, HD_HEIGHT, { fit: 'fill' })
    .composite([{ input: noise, raw: { width: HD_WIDTH, height: HD_HEIGHT, channels: 3 }, blend: 'overlay' }])
    .jpeg({ quality: options.quality })
    .withMetadata({ orientation: options.orientation })
    .toBuffer();
}

async function cached(name: string, make: () => Promise<Buffer>): Promise<Photo> {
  const file = path.join(CACHE_DIR, name);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    bytes = await make();
    await mkdir(CACHE_DIR, { recursive: true });
    await writeFile(file, bytes);
  }
  return { name, file, bytes, mimeType: 'image/jpeg' };
}

/** 12 MP, EXIF orientation 6 (a portrait shot stored sideways), ~3 MB. */
export const hd12mpPhoto = (): Promise<Photo> =>
  cached('hd-12mp-orientation-6.v1.jpg', () => makeHdPhoto({ sigma: 10, quality: 90, orientation: 6 }));

/** 12 MP with heavy detail: ~5 MB, the most WhatsApp sends as an image. */
export const hd5mbPhoto = (): Promise<Photo> =>
  cached('hd-5mb.v2.jpg', () => makeHdPhoto({ sigma: 28, quality: 90, orientation: 1 }));

/** 320×240, ~15 KB: what the ack-latency run serves, so 10 000 stored copies stay small on disk. */
export const smallPhoto = (): Promise<Photo> =>
  cached('small-320x240.v1.jpg', () => sharp(path.join(FIXTURE_PHOTOS, 'landscape-orientation-1.jpg')).resize(320, 240).jpeg({ quality: 85 }).toBuffer());

/** Every photo the processing and end-to-end figures use: the fixtures plus the two HD ones. */
export async function benchPhotos(): Promise<Photo[]> {
  return [...(await fixturePhotos()), await hd12mpPhoto(), await hd5mbPhoto()];
}

export function describePhotos(photos: readonly Photo[]): string {
  return photos.map((p) => `${p.name} (${(p.bytes.length / 1024 / 1024).toFixed(2)} MB)`).join(', ');
}
