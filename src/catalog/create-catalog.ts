import type { Config } from '../config/config.ts';
import type { Catalog } from './catalog.ts';
import { openPgliteCatalog } from './pglite-catalog.ts';
import { openPostgresCatalog } from './postgres-catalog.ts';
import { openSupabaseCatalog } from './supabase-catalog.ts';

/** Opens the catalog the config names, with its migrations applied. */
export async function createCatalog(config: Config['catalog']): Promise<Catalog> {
  switch (config.kind) {
    case 'pglite':
      return openPgliteCatalog(config.pgliteDir);
    case 'postgres':
      if (config.databaseUrl === undefined) throw new Error('CATALOG=postgres needs DATABASE_URL to be set');
      return openPostgresCatalog(config.databaseUrl);
    case 'supabase':
      // Refuses an anon/publishable key before any request, and a missing or outdated table at once.
      return openSupabaseCatalog(config.supabase);
    default: {
      const unknownKind: never = config.kind;
      throw new Error(`Unknown catalog kind: ${String(unknownKind)}`);
    }
  }
}
