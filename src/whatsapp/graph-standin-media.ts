import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** One media object the stand-in serves. `fileName` ending in .html is served as text/html. */
export interface StandinMedia {
  bytes: Buffer;
  mimeType: string;
  fileName?: string | undefined;
}

const mediaMapSchema = z.record(
  z.string().min(1),
  z.object({ file: z.string().min(1), mime_type: z.string().min(1) }),
);

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a media-map.json (`media id → { file, mime_type }`) into the stand-in's media map. A relative `file`
 * is looked up next to the map first, then in the map folder's parent (the shared fixtures keep the map in
 * webhooks/ and the files in photos/ and images-bad/).
 */
export async function loadMediaMap(mapPath: string): Promise<Map<string, StandinMedia>> {
  const absoluteMap = path.resolve(mapPath);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(absoluteMap, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read media map ${absoluteMap}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const parsed = mediaMapSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Media map ${absoluteMap} is not { "<media id>": { "file": ..., "mime_type": ... } }: ${parsed.error.message}`);
  }
  const mapDir = path.dirname(absoluteMap);
  const media = new Map<string, StandinMedia>();
  for (const [id, entry] of Object.entries(parsed.data)) {
    const candidates = [path.resolve(mapDir, entry.file), path.resolve(mapDir, '..', entry.file)];
    let found: string | undefined;
    for (const candidate of candidates) {
      if (await exists(candidate)) {
        found = candidate;
        break;
      }
    }
    if (!found) {
      throw new Error(`Media map ${absoluteMap}: file ${entry.file} for media ${id} not found (tried ${candidates.join(', ')})`);
    }
    media.set(id, { bytes: await readFile(found), mimeType: entry.mime_type, fileName: path.basename(found) });
  }
  return media;
}
