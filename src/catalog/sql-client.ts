/**
 * The few things the catalog needs from a SQL database. PGlite and node-postgres both fit behind it, so
 * every statement lives once in sql-catalog.ts and migrations.ts.
 */
export interface SqlQueryable {
  /** One parameterised statement (extended protocol: a single statement, `$1…` placeholders). */
  query<T>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  /** Runs `work` on one connection between BEGIN and COMMIT; rolls back and rethrows if it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
