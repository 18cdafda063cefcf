import sharp, { type Metadata } from 'sharp';
import { permanent, type PipelineError } from '../shared/pipeline-error.ts';

/** Stable codes for bytes we cannot turn into an image. They land in the catalog's error_code column. */
export const MEDIA_ERROR = {
  empty: 'media_empty',
  notImage: 'media_not_image',
  corrupt: 'media_corrupt',
  tooManyPixels: 'media_too_many_pixels',
  tooManyFrames: 'media_too_many_frames',
  timeout: 'media_processing_timeout',
} as const;

export const MAX_ANIMATION_FRAMES = 300;

export type InputFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'heif' | 'tiff';

export interface SniffedImage {
  format: InputFormat;
  /** Derived from the bytes, never from what the sender announced. */
  mimeType: string;
  /** True only for a WebP or GIF with more than one frame; multi-page TIFF/HEIF are not animations. */
  animated: boolean;
}

const MIME: Record<Exclude<InputFormat, 'heif'>, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
};

/**
 * Reads only the header (sharp metadata), so a pixel bomb or a PDF is refused before anything is decoded.
 * The pixel limit is passed here too: metadata() enforces it, which is what makes a 30000×30000 file fail fast.
 */
export async function sniffImage(input: Buffer, maxPixels: number): Promise<SniffedImage> {
  if (input.length === 0) throw permanent(MEDIA_ERROR.empty, 'The downloaded media is empty (0 bytes).');
  // libvips would happily parse SVG, PDF or its own formats from a buffer; only known image magic reaches it.
  if (!hasImageMagic(input)) {
    throw permanent(MEDIA_ERROR.notImage, `The bytes are not an image (${describeNonImage(input)}).`);
  }
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: maxPixels }).metadata();
  } catch (error) {
    throw classifySharpError(error, maxPixels);
  }
  const format = metadata.format;
  if (format === 'heif') {
    // The prebuilt libvips decodes AV1 (AVIF) only; HEVC needs a patent-encumbered decoder it does not ship.
    if (metadata.compression !== 'av1') {
      throw permanent(MEDIA_ERROR.notImage, 'HEIC (HEVC-compressed) images are not supported; only AVIF is.');
    }
    return { format, mimeType: 'image/avif', animated: false };
  }
  if (!isInputFormat(format)) {
    throw permanent(MEDIA_ERROR.notImage, `Unsupported image format "${format}".`);
  }
  const pages = metadata.pages ?? 1;
  // Tens of thousands of tiny frames stay under the pixel limit yet cost seconds each; stickers have a few dozen.
  if (pages > MAX_ANIMATION_FRAMES) {
    throw permanent(MEDIA_ERROR.tooManyFrames, `The animation has ${pages} frames; at most ${MAX_ANIMATION_FRAMES} are accepted.`);
  }
  const animated = (format === 'webp' || format === 'gif') && pages > 1;
  return { format, mimeType: MIME[format], animated };
}

/**
 * Turns a sharp/libvips failure into a PipelineError. Sharp only offers messages, so this matches on the
 * fixed texts sharp itself throws; anything else came from a decoder choking on the pixel data.
 */
export function classifySharpError(error: unknown, maxPixels: number): PipelineError {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('Input Buffer is empty')) {
    return permanent(MEDIA_ERROR.empty, 'The downloaded media is empty (0 bytes).', error);
  }
  if (message.includes('exceeds pixel limit')) {
    return permanent(
      MEDIA_ERROR.tooManyPixels,
      `The image declares more than ${maxPixels} pixels and was refused before decoding.`,
      error,
    );
  }
  if (message.includes('unsupported image format') || message.includes('exceeds channel limit')) {
    return permanent(MEDIA_ERROR.notImage, `The bytes are not a supported image: ${firstLine(message)}`, error);
  }
  return permanent(MEDIA_ERROR.corrupt, `The image is truncated or cannot be decoded: ${firstLine(message)}`, error);
}

function isInputFormat(format: string): format is Exclude<InputFormat, 'heif'> {
  return Object.hasOwn(MIME, format);
}

function hasImageMagic(bytes: Buffer): boolean {
  const ascii = (start: number, end: number) => bytes.toString('latin1', start, end);
  return (
    (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) || // JPEG
    ascii(0, 8) === '\x89PNG\r\n\x1a\n' ||
    ascii(0, 4) === 'GIF8' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') ||
    ['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(0, 4)) || // TIFF and BigTIFF
    ascii(4, 8) === 'ftyp' // ISO-BMFF: HEIF/AVIF, but also MP4, which sharp then refuses
  );
}

/** A hint for the person reading the catalog row; a blocked download typically returns an HTML page. */
function describeNonImage(bytes: Buffer): string {
  const head = bytes.toString('latin1', 0, 64).trimStart().toLowerCase();
  if (head.startsWith('%pdf')) return 'looks like a PDF document';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'looks like an HTML page';
  if (head.startsWith('<')) return 'looks like XML/SVG/HTML text';
  if (head.startsWith('{') || head.startsWith('[')) return 'looks like JSON';
  return 'unrecognised content';
}

// libvips appends its own newline-separated detail; the first line is the readable part.
function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
