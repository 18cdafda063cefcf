import sharp from 'sharp';
import type { OutputFormat } from '../config/config.ts';
import { permanent } from '../shared/pipeline-error.ts';
import { classifySharpError, MEDIA_ERROR, sniffImage } from './sniff.ts';

export { MEDIA_ERROR } from './sniff.ts';

export interface ProcessImageRequest {
  kind: 'image' | 'sticker' | 'document';
}

export interface ProcessImageOptions {
  maxEdge: number;
  format: OutputFormat;
  quality: number;
  maxPixels: number;
}

export interface ProcessedImage {
  bytes: Buffer;
  mimeType: string;
  extension: string;
  /** Of one frame, after orientation and resizing. */
  width: number;
  height: number;
  /** What the bytes really were, not what the sender announced. */
  originalMimeType: string;
  animated: boolean;
}

const PROCESSING_TIMEOUT_SECONDS = 60;

const ENCODINGS: Record<OutputFormat, { mimeType: string; extension: string }> = {
  jpeg: { mimeType: 'image/jpeg', extension: 'jpg' },
  webp: { mimeType: 'image/webp', extension: 'webp' },
  avif: { mimeType: 'image/avif', extension: 'avif' },
};

/**
 * The one place sharp turns downloaded bytes into the stored image: oriented, stripped of every piece of
 * metadata (GPS, camera serials, profiles), sRGB 8-bit, fitted inside maxEdge, re-encoded.
 * Throws a permanent PipelineError (codes in MEDIA_ERROR) for bytes that are not a usable image.
 */
export async function processImage(
  input: Buffer,
  request: ProcessImageRequest,
  options: ProcessImageOptions,
): Promise<ProcessedImage> {
  const source = await sniffImage(input, options.maxPixels);
  // Stickers are WebP in WhatsApp and must stay so; any animation only survives as WebP.
  const format: OutputFormat = request.kind === 'sticker' || source.animated ? 'webp' : options.format;

  const pipeline = sharp(input, {
    limitInputPixels: options.maxPixels,
    // 'error' still refuses truncated data but tolerates libjpeg warnings such as the invalid SOS
    // parameters some Samsung cameras write (lovell/sharp#1578), which 'warning' would reject.
    failOn: 'error',
    animated: source.animated,
  })
    .autoOrient()
    .resize({ width: options.maxEdge, height: options.maxEdge, fit: 'inside', withoutEnlargement: true })
    // Without keepMetadata/keepIccProfile sharp drops EXIF/XMP/IPTC/ICC after converting through the embedded
    // profile (CMYK, Display P3...), and 16-bit input comes out 8-bit. Naming sRGB keeps that a stated rule.
    .toColourspace('srgb')
    // A worker must never be tied up by one image: a crafted file that decodes this slowly is refused.
    .timeout({ seconds: PROCESSING_TIMEOUT_SECONDS });

  if (format === 'jpeg') {
    // JPEG has no alpha; without this, transparent pixels turn black.
    // mozjpeg's quantisation table without its trellis pass (~4x slower for ~2% fewer bytes), and baseline
    // rather than progressive scans: progressive cost ~70% more encode time for ~3% smaller files (BENCHMARKS.md).
    pipeline
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: options.quality, progressive: false, quantisationTable: 3 });
  } else if (format === 'webp') {
    pipeline.webp({ quality: options.quality });
  } else {
    // sharp's default effort 4 took ~6 s for one 1800x1200 photo on a 2-core box; effort 2 took ~0.8 s, ~7% larger.
    pipeline.avif({ quality: options.quality, effort: 2 });
  }

  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      bytes: data,
      ...ENCODINGS[format],
      width: info.width,
      // For an animation sharp reports the whole strip of frames as height.
      height: info.pageHeight ?? info.height,
      originalMimeType: source.mimeType,
      animated: source.animated,
    };
  } catch (error) {
    if (error instanceof Error && /^timeout:/.test(error.message)) {
      throw permanent(MEDIA_ERROR.timeout, `Processing took longer than ${PROCESSING_TIMEOUT_SECONDS} s and was stopped (${error.message}).`);
    }
    throw classifySharpError(error, options.maxPixels);
  }
}
