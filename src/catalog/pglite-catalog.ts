import { chmod, mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { openMigratedCatalog } from './migrations.ts';
import type { SqlCatalog } from './sql-catalog.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

interface PgliteQueryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
}

function queryable(db: PgliteQueryable): SqlQueryable {
  return {
    query: async <T>(sql: string, params: readonly unknown[] = []) => {
      const { rows } = await db.query<T>(sql, [...params]);
      return { rows };
    },
    exec: async (sql: string) => {
      await db.exec(sql);
    },
  };
}

/** Wraps an open PGlite. PGlite runs queries one at a time, and a transaction holds it exclusively. */
export function pgliteSqlClient(db: PGlite): SqlClient {
  return {
    ...queryable(db),
    transaction: (work) => db.transaction((tx) => work(queryable(tx))),
    close: () => db.close(),
  };
}

/**
 * Opens the embedded catalog: `dir` undefined keeps it in memory, otherwise it lives in that directory
 * (created if missing). Only one process may open a given directory at a time.
 */
export async function openPgliteCatalog(dir: string | undefined): Promise<SqlCatalog> {
  if (dir !== undefined) {
    // PGlite writes its files world-readable whatever the umask; a private folder keeps phone numbers in.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
  const db = await PGlite.create(dir === undefined ? {} : { dataDir: dir });
  const client = pgliteSqlClient(db);
  return openMigratedCatalog(client);
}
