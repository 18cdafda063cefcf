import type { MediaRecord, MediaStatus } from '../catalog/media-record.ts';
import { createCatalog } from '../catalog/create-catalog.ts';
import type { Config } from '../config/config.ts';
import { readLiveServiceFile } from './service-file.ts';

export interface ListOptions {
  status?: MediaStatus | undefined;
  limit: number;
}

/**
 * Newest rows first. With PGlite and a running service, read through the service's admin endpoint (one
 * process per PGlite directory); otherwise open the catalog directly.
 */
export async function listMedia(config: Config, options: ListOptions): Promise<MediaRecord[]> {
  const live = config.catalog.kind === 'pglite' ? await readLiveServiceFile(config.dataDir) : undefined;
  if (live) return listThroughService(live.url, live.adminToken, options);
  const catalog = await createCatalog(config.catalog);
  try {
    return await catalog.list(options);
  } finally {
    await catalog.close();
  }
}

async function listThroughService(baseUrl: string, adminToken: string, options: ListOptions): Promise<MediaRecord[]> {
  const query = new URLSearchParams({ limit: String(options.limit) });
  if (options.status) query.set('status', options.status);
  const response = await fetch(`${baseUrl}/admin/media?${query}`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (!response.ok) {
    const reason = ((await response.json().catch(() => ({}))) as { message?: string }).message ?? '';
    throw new Error(`The running service answered ${response.status} to the list request. ${reason}`.trim());
  }
  const { items } = (await response.json()) as { items: MediaRecord[] };
  return items;
}
