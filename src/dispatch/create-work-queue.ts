import type { Config } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import { openBullmqQueue } from './bullmq-queue.ts';
import { createInProcessQueue } from './in-process-queue.ts';
import type { WorkQueue } from './work-queue.ts';

/** The dispatcher the config names: a worker pool in this process, or BullMQ on Redis (REDIS_URL). */
export async function createWorkQueue(config: Config['dispatch'], logger: Logger): Promise<WorkQueue> {
  switch (config.kind) {
    case 'inprocess':
      return createInProcessQueue({ concurrency: config.concurrency, logger });
    case 'bullmq':
      if (config.redisUrl === undefined) throw new Error('DISPATCH=bullmq needs REDIS_URL to be set');
      // Connects at once: an unreachable Redis stops start-up with one clear line.
      return openBullmqQueue({
        redisUrl: config.redisUrl,
        queueName: config.queueName,
        concurrency: config.concurrency,
        leaseMs: config.leaseMs,
        logger,
      });
    default: {
      const unknownKind: never = config.kind;
      throw new Error(`Unknown dispatch kind: ${String(unknownKind)}`);
    }
  }
}
