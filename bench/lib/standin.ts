import { createGraphStandin, type GraphStandin } from '../../src/whatsapp/graph-standin.ts';
import type { MediaItem } from './e2e-run.ts';
import type { Photo } from './photos.ts';
import { ACCESS_TOKEN } from './webhooks.ts';

/** The Graph stand-in, in the bench process, with the bench's access token and no media yet. */
export async function startStandin(): Promise<GraphStandin> {
  const standin = createGraphStandin({ accessToken: ACCESS_TOKEN, media: {} });
  await standin.start();
  return standin;
}

/** Registers one media id per item (`${prefix}${index}`), cycling through `photos`. Returns the ids with their photo. */
export function addMediaItems(standin: GraphStandin, prefix: string, count: number, photos: readonly Photo[]): MediaItem[] {
  return Array.from({ length: count }, (_, i) => {
    const photo = photos[i % photos.length] as Photo;
    const mediaId = `${prefix}${String(i).padStart(6, '0')}`;
    standin.addMedia(mediaId, { bytes: photo.bytes, mimeType: photo.mimeType });
    return { mediaId, photo };
  });
}
