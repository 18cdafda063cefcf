import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/** Repository root (bench/lib/../..) and the shared fixtures beside it. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
export const FIXTURE_PHOTOS = path.resolve(REPO_ROOT, '../shared/fixtures/photos');

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

function listFromEnv(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : fallback;
}

/**
 * Every knob of the benchmarks, from BENCH_* environment variables (run-all.ts also maps `--duration=…`
 * style flags onto them). Read once per script.
 */
export function benchSettings() {
  const cores = os.availableParallelism();
  return {
    cores,
    /** The service's worker pool size: WORKER_CONCURRENCY as the service reads it, else its default (cores). */
    workers: intFromEnv('WORKER_CONCURRENCY', cores),
    rounds: intFromEnv('BENCH_ROUNDS', 3),
    e2eN: intFromEnv('BENCH_E2E_N', 200),
    catalogs: listFromEnv('BENCH_CATALOGS', ['pglite', 'postgres']) as ('pglite' | 'postgres')[],
    ackCatalogs: listFromEnv('BENCH_ACK_CATALOGS', ['pglite']) as ('pglite' | 'postgres')[],
    ackDurationS: intFromEnv('BENCH_ACK_DURATION_S', 20),
    ackReferenceS: intFromEnv('BENCH_ACK_REFERENCE_S', 5),
    ackRate: intFromEnv('BENCH_ACK_RATE', 500),
    ackConnections: intFromEnv('BENCH_ACK_CONNECTIONS', 10),
    memoryN: intFromEnv('BENCH_MEMORY_N', 200),
    memoryCatalogs: listFromEnv('BENCH_MEMORY_CATALOGS', ['pglite', 'postgres']) as ('pglite' | 'postgres')[],
    postConcurrency: intFromEnv('BENCH_POST_CONCURRENCY', 16),
    /** Appended to result file names, so tuning runs do not overwrite the plain run. */
    tag: process.env.BENCH_TAG ?? '',
    databaseAdminUrl: process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

export type BenchSettings = ReturnType<typeof benchSettings>;

/**
 * Tuning experiments without code changes: BENCH_SHARP_CONCURRENCY (libvips threads per image) and
 * BENCH_SHARP_CACHE=false (libvips operation cache off). sharp is one module per process, so this reaches
 * the service's own processImage too. Child services get it through `--import bench/lib/sharp-preload.ts`.
 */
export function applySharpSettings(): { concurrency: number; cache: boolean } {
  const concurrency = process.env.BENCH_SHARP_CONCURRENCY;
  if (concurrency !== undefined && concurrency !== '') sharp.concurrency(Number(concurrency));
  const cache = process.env.BENCH_SHARP_CACHE !== 'false';
  if (!cache) sharp.cache(false);
  return { concurrency: sharp.concurrency(), cache };
}

/** The environment variables that tune a process from outside; recorded with every result. */
export function tuningEnvironment(): Record<string, string> {
  const names = ['WORKER_CONCURRENCY', 'UV_THREADPOOL_SIZE', 'MALLOC_ARENA_MAX', 'LD_PRELOAD', 'VIPS_CONCURRENCY', 'NODE_OPTIONS', 'BENCH_SHARP_CONCURRENCY', 'BENCH_SHARP_CACHE'];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}
