import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createService, type Service } from '../../src/start/compose.ts';
import { ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID } from './webhooks.ts';

export type CatalogKind = 'pglite' | 'postgres';

export interface InProcessService {
  url: string;
  service: Service;
  dataDir: string;
  workers: number;
  /** Catalog rows per status, read through the service's own catalog. */
  counts(): Promise<Record<string, number>>;
  /** When the last row was stored (the catalog's stored_at, epoch ms). */
  lastStoredAt(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * The real service (createService: Fastify on a loopback port, catalog, local store, in-process workers)
 * in this process, configured through loadConfig like `serve`, on a fresh temporary DATA_DIR. It logs at
 * info (as deployed) into /dev/null.
 */
export async function startInProcessService(options: {
  catalog: CatalogKind;
  databaseUrl?: string | undefined;
  graphBaseUrl: string;
  env?: Record<string, string> | undefined;
}): Promise<InProcessService> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mv-bench-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    GRAPH_API_BASE_URL: options.graphBaseUrl,
    CATALOG: options.catalog,
    DATABASE_URL: options.databaseUrl,
    WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY,
    ...options.env,
  });
  const logger = createLogger(config.logLevel, pino.destination({ dest: '/dev/null', sync: true }));
  const service = await createService(config, logger);
  const url = await service.start();
  const catalog = service.catalog;
  if (!(catalog instanceof SqlCatalog)) throw new Error('the bench counts rows with SQL; the catalog is not a SqlCatalog');
  return {
    url,
    service,
    dataDir,
    workers: config.dispatch.concurrency,
    async counts() {
      const { rows } = await catalog.db.query<{ status: string; n: number }>('select status, count(*)::int as n from image_metadata group by status');
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async lastStoredAt() {
      const { rows } = await catalog.db.query<{ at: Date | string | null }>('select max(stored_at) as at from image_metadata');
      const at = rows[0]?.at;
      return at ? new Date(at).getTime() : undefined;
    },
    async stop() {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
