import type { Config } from '../config/config.ts';
import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';

/** The blob store the config names. Does no I/O: the local store creates directories on first write. */
export function createBlobStore(config: Config['storage']): BlobStore {
  switch (config.kind) {
    case 'local':
      return new LocalBlobStore(config.localDir);
    default: {
      const unknownKind: never = config.kind;
      throw new Error(`Unknown storage kind: ${String(unknownKind)}`);
    }
  }
}
