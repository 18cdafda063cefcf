import type { Config } from '../config/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createPipeline } from './compose.ts';
import { downloadProblems } from './serve.ts';
import { stopOnSignals } from './stop-on-signals.ts';

/** What `media-vault worker` needs beyond what `serve` needs; each is one line a user can act on. */
export function workerProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.dispatch.kind !== 'bullmq') {
    problems.push('media-vault worker takes its jobs from Redis: set REDIS_URL (the same as the service\'s) and run `serve` with it too.');
  }
  if (config.catalog.kind === 'pglite') {
    problems.push('media-vault worker needs a catalog shared with the service: set DATABASE_URL (or SUPABASE_URL and SUPABASE_KEY); the embedded PGlite catalog belongs to one process.');
  }
  return [...problems, ...downloadProblems(config)];
}

/**
 * An extra worker process, on this machine or another: the same pipeline as `serve` (catalog, store,
 * downloads, BullMQ workers, reconciler) without the HTTP server. SIGTERM/SIGINT stop it in phases:
 * reconciler, running jobs (up to SHUTDOWN_GRACE_MS), queue, catalog.
 */
export async function runWorker(config: Config): Promise<void> {
  const problems = workerProblems(config);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`media-vault: ${problem}`);
    process.exitCode = 1;
    return;
  }
  const logger = createLogger(config.logLevel);
  const pipeline = await createPipeline(config, logger);
  pipeline.start();
  if (config.storage.kind === 'local') {
    logger.warn({ dir: config.storage.localDir }, 'images are stored on this machine\'s disk (STORAGE=local): use Supabase storage when workers run on several machines');
  }
  logger.info({ queue: config.dispatch.queueName, catalog: config.catalog.kind, storage: pipeline.blobs.describe(), workers: config.dispatch.concurrency }, 'media-vault worker is taking jobs');

  stopOnSignals(logger, 'stop the reconciler, drain workers, close queue and catalog', () => pipeline.stop());
}
