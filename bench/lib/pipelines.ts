import sharp from 'sharp';
import { loadConfig } from '../../src/config/load-config.ts';
import { processImage } from '../../src/media/process-image.ts';

/** The service's own media settings (MAX_IMAGE_EDGE, OUTPUT_QUALITY, … from the environment, else defaults). */
export const MEDIA = loadConfig(process.env).media;

/** Ours: the service's media stage exactly as the worker calls it. */
export async function ours(input: Buffer): Promise<number> {
  const processed = await processImage(input, { kind: 'image' }, MEDIA);
  return processed.bytes.length;
}

/**
 * Bare sharp doing the same job with sharp's defaults: orient, fit inside the same edge without enlarging,
 * JPEG at the same quality, no metadata (sharp's default). No type sniffing, no colour/alpha rules, no error
 * mapping: the floor our stage is measured against.
 */
export async function bare(input: Buffer): Promise<number> {
  const output = await sharp(input)
    .autoOrient()
    .resize({ width: MEDIA.maxEdge, height: MEDIA.maxEdge, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: MEDIA.quality })
    .toBuffer();
  return output.length;
}

export const PIPELINES = { ours, bare } as const;
export type PipelineName = keyof typeof PIPELINES;

/** A fresh copy per job, as a download would hand over: no pipeline can profit from another's buffer. */
export const freshCopy = (bytes: Buffer): Buffer => Buffer.from(bytes);
