import pg from 'pg';
import { openMigratedCatalog } from './migrations.ts';
import type { SqlCatalog } from './sql-catalog.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

export interface PostgresCatalogOptions {
  /** Pool size. The catalog's statements are short; a few connections serve many workers. */
  max?: number | undefined;
  /**
   * Told about errors on idle pooled connections (server restart, network drop). The pool discards the
   * connection either way; without a listener node-postgres would crash the process instead.
   */
  onIdleError?: ((error: Error) => void) | undefined;
}

/** Per-pool parsers, so we never change node-postgres' global defaults for other code in the process. */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  // int8 (byte sizes, counts) arrives as a string by default; ours stay far below 2^53, so refuse rather
  // than round anything that does not.
  types.setTypeParser(20, (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} does not fit a JS number`);
    return n;
  });
  // timestamptz: keep node-postgres' Date parser (the default), named here so the choice is visible.
  types.setTypeParser(1184, pg.types.getTypeParser(1184, 'text'));
  return types;
}

function queryable(db: pg.Pool | pg.PoolClient): SqlQueryable {
  return {
    query: async <T>(sql: string, params: readonly unknown[] = []) => {
      const result = await db.query(sql, [...params]);
      return { rows: result.rows as T[] };
    },
    // Without parameters node-postgres uses the simple protocol, which accepts several statements.
    exec: async (sql: string) => {
      await db.query(sql);
    },
  };
}

export function postgresSqlClient(pool: pg.Pool): SqlClient {
  return {
    ...queryable(pool),
    transaction: async (work) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        const result = await work(queryable(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: unknown) => {
          // A connection that cannot roll back is in an unknown state: drop it instead of pooling it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/** Opens the catalog on a PostgreSQL server (including Supabase's) and applies pending migrations. */
export async function openPostgresCatalog(databaseUrl: string, options: PostgresCatalogOptions = {}): Promise<SqlCatalog> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 5,
    connectionTimeoutMillis: 10_000,
    application_name: 'whatsapp-media-vault',
    types: typeParsers(),
  });
  pool.on('error', options.onIdleError ?? (() => undefined));
  const client = postgresSqlClient(pool);
  return openMigratedCatalog(client);
}
