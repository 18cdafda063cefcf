import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openSupabaseCatalog } from '../../src/catalog/supabase-catalog.ts';
import { SupabaseBlobStore } from '../../src/storage/supabase-blob-store.ts';
import { SERVICE_ROLE_KEY } from '../support/fake-supabase/keys.ts';

/** A loopback port with nothing listening: connections are refused at once. */
async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('Supabase unreachable (connection refused)', () => {
  it('a Storage upload fails retryable, so the job tries again later', async () => {
    const store = new SupabaseBlobStore({ url: await refusedUrl(), key: SERVICE_ROLE_KEY, bucket: 'whatsapp-images', createBucket: false, cacheControlSeconds: 60 });
    await expect(store.put('a/b.jpg', Buffer.from([0xff, 0xd8, 0xff]), 'image/jpeg')).rejects.toMatchObject({
      code: 'supabase_storage_unavailable',
      retryable: true,
    });
  });

  it('opening the REST catalog fails with a retryable, readable error', async () => {
    await expect(
      openSupabaseCatalog({ url: await refusedUrl(), key: SERVICE_ROLE_KEY, bucket: 'whatsapp-images', createBucket: false, cacheControlSeconds: 60 }),
    ).rejects.toMatchObject({ code: 'supabase_unavailable', retryable: true });
  });
});
