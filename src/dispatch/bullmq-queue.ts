import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from '../shared/logger.ts';
import type { JobHandler, WorkQueue } from './work-queue.ts';

export interface BullmqQueueOptions {
  redisUrl: string;
  queueName: string;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** The catalog lease; BullMQ's own lock on a job is derived from it (see lockDurationFor). */
  leaseMs: number;
  logger: Logger;
  /** How long start-up waits for Redis before giving up with a clear message. */
  connectTimeoutMs?: number;
}

interface MediaJobData {
  wamid: string;
}

/**
 * The dispatcher for several processes or machines: jobs live in Redis (BullMQ) and every process whose
 * worker is started takes them, `concurrency` at a time.
 *
 * Job ids and dedupe. BullMQ ignores an add whose job id already exists in Redis (waiting, delayed,
 * active, or kept after it finished). So:
 * - an immediate enqueue uses the wamid itself as job id (see jobIdFor): a wamid already waiting is not
 *   queued twice, which keeps a reconciler sweep over a backlog from piling up copies;
 * - finished jobs are removed at once (removeOnComplete/removeOnFail), so a finished id never blocks a
 *   later enqueue of the same wamid;
 * - a delayed enqueue (the retry path: a running job re-enqueues its own wamid, whose id is still
 *   active) gets an id of its own, `<id>#<due time>`, and so does an immediate enqueue of a wamid that
 *   is running in this very process;
 * - attempts is 1: retries are ours. A job records its failure and next attempt in the catalog and
 *   re-enqueues itself with a delay; the catalog row, not Redis, is the truth.
 * Correctness never depends on BullMQ's dedupe: the catalog claim is atomic, so a wamid delivered twice
 * runs once and the other delivery finds nothing to do; and the reconciler re-enqueues every row that is
 * due, so an enqueue that BullMQ swallowed (or Redis lost) is made good on the next sweep.
 */
export async function openBullmqQueue(options: BullmqQueueOptions): Promise<WorkQueue> {
  const { logger } = options;
  const log = logger.child({ queue: options.queueName, redis: redactUrl(options.redisUrl) });
  const connection = { url: options.redisUrl };
  const queue = new Queue<MediaJobData>(options.queueName, {
    connection,
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
  });
  // Without a listener an 'error' event would throw; Redis outages are logged while ioredis reconnects.
  queue.on('error', throttledErrorLog(log, 'queue'));
  await waitForRedis(queue, options.connectTimeoutMs ?? 10_000, options.redisUrl);

  let worker: Worker<MediaJobData> | undefined;
  let closing = false;
  let closed = false;
  /** wamid → how many jobs of it run in this process right now. */
  const running = new Map<string, number>();
  const lockMs = lockDurationFor(options.leaseMs);

  async function run(handler: JobHandler, job: Job<MediaJobData>): Promise<void> {
    const { wamid } = job.data;
    running.set(wamid, (running.get(wamid) ?? 0) + 1);
    try {
      await handler(wamid);
    } catch (error) {
      // The job itself records failures; reaching here is a bug, and the reconciler retries the row.
      log.error({ wamid, err: error }, 'job crashed');
    } finally {
      const left = (running.get(wamid) ?? 1) - 1;
      if (left > 0) running.set(wamid, left);
      else running.delete(wamid);
    }
  }

  return {
    start(handler) {
      if (worker || closing) return;
      worker = new Worker<MediaJobData>(options.queueName, (job) => run(handler, job), {
        // BullMQ's workers block on Redis and need maxRetriesPerRequest: null.
        connection: { ...connection, maxRetriesPerRequest: null },
        concurrency: options.concurrency,
        // A job whose worker died is handed out again once its lock runs out; keep that within the lease,
        // so the reconciler's re-enqueue of a lapsed row is not swallowed by the dead job's id for long.
        lockDuration: lockMs,
        stalledInterval: lockMs,
      });
      worker.on('error', throttledErrorLog(log, 'worker'));
      // Our processor never throws, so a failed job is one BullMQ gave up on (stalled too often); the
      // reconciler dispatches its row again.
      worker.on('failed', (job, error) => log.warn({ wamid: job?.data.wamid, err: error }, 'job failed in BullMQ; the reconciler will dispatch the row again'));
    },
    async enqueue(wamid, enqueueOptions) {
      // While closing, running jobs may still re-enqueue (a retry goes to Redis for another worker).
      if (closed || (closing && !worker)) return;
      const delayMs = Math.max(0, Math.round(enqueueOptions?.delayMs ?? 0));
      const base = jobIdFor(wamid);
      // A running job's id is still taken: a retry (delayed, or re-enqueued from inside the job) needs its own.
      const jobId = delayMs > 0 || running.has(wamid) ? `${base}#${Date.now() + delayMs}` : base;
      await queue.add('media', { wamid }, { jobId, delay: delayMs });
    },
    size: () => [...running.values()].reduce((sum, n) => sum + n, 0),
    async close(graceMs) {
      closing = true;
      if (worker) {
        // Take no new jobs; let running ones finish for up to graceMs; then close without waiting further.
        await worker.pause(true);
        await Promise.race([waitUntil(() => running.size === 0), delay(graceMs)]);
        await worker.close(true).catch((error: unknown) => log.warn({ err: error }, 'closing the worker failed'));
      }
      worker = undefined;
      closed = true;
      // quit() waits for Redis; when Redis is gone, do not hang the shutdown on it.
      const quit = queue.close().catch((error: unknown) => log.warn({ err: error }, 'closing the queue failed'));
      if ((await Promise.race([quit.then(() => 'closed'), delay(5_000)])) !== 'closed') void queue.disconnect().catch(() => undefined);
    },
  };
}

/**
 * A BullMQ job id for a wamid, deterministic. BullMQ refuses ids that are integers or contain ':'; Meta's
 * wamids are `wamid.` + base64 (letters, digits, `+ / =`), which are used as they are. Anything else is
 * hashed. `#` never occurs in either form, so it can separate the retry suffix.
 */
export function jobIdFor(wamid: string): string {
  if (/^[A-Za-z0-9._=+/-]{1,200}$/.test(wamid) && !/^\d+$/.test(wamid)) return wamid;
  return `sha256-${createHash('sha256').update(wamid).digest('hex')}`;
}

/** Half the catalog lease, between 1 s and BullMQ's default 30 s; BullMQ renews it every half of that. */
export function lockDurationFor(leaseMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.floor(leaseMs / 2)));
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

async function waitForRedis(queue: Queue<MediaJobData>, timeoutMs: number, redisUrl: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([queue.waitUntilReady().then(() => 'ready' as const), timedOut]);
    if (outcome === 'timeout') {
      // close() on a connection that never became ready disconnects without waiting, and stops ioredis retrying.
      await queue.close().catch(() => undefined);
      throw new Error(`Redis at ${redactUrl(redisUrl)} did not answer within ${timeoutMs / 1000} s. Start Redis, or fix REDIS_URL (unset it to use the in-process workers).`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Logs the first Redis error, then at most one every 30 s with the count of those left out. */
function throttledErrorLog(log: Logger, source: 'queue' | 'worker'): (error: Error) => void {
  let lastAt = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastAt < 30_000) {
      suppressed += 1;
      return;
    }
    log.error({ err: error, suppressed }, `redis error (${source}); reconnecting`);
    lastAt = now;
    suppressed = 0;
  };
}

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await delay(20);
}

function delay(ms: number): Promise<'delay'> {
  return new Promise((resolve) => setTimeout(() => resolve('delay'), ms).unref());
}
