import type { Config } from '../config/config.ts';
import { assertServiceKey } from '../supabase/supabase-client.ts';
import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { SupabaseBlobStore } from './supabase-blob-store.ts';

/**
 * The blob store the config names. Does no I/O, so it stays synchronous: the local store creates
 * directories on first write, and the Supabase bucket is checked by ensureBucket() at start-up.
 * An anon/publishable SUPABASE_KEY is refused here, before anything is sent with it.
 */
export function createBlobStore(config: Config['storage']): BlobStore {
  switch (config.kind) {
    case 'local':
      return new LocalBlobStore(config.localDir);
    case 'supabase':
      assertServiceKey(config.supabase.key);
      return new SupabaseBlobStore(config.supabase);
    default: {
      const unknownKind: never = config.kind;
      throw new Error(`Unknown storage kind: ${String(unknownKind)}`);
    }
  }
}

/**
 * What the composition root awaits once before serving: for Supabase, the bucket exists (created private
 * when SUPABASE_CREATE_BUCKET=true) and is not public; throws a readable Error otherwise. Local disk
 * needs nothing. Lives here so the caller never needs to know which adapter runs.
 */
export async function ensureBucket(store: BlobStore): Promise<void> {
  if (store instanceof SupabaseBlobStore) await store.ensureBucket();
}
