import fastq from 'fastq';
import type { Logger } from '../shared/logger.ts';
import type { JobHandler, WorkQueue } from './work-queue.ts';

/**
 * The default dispatcher: a bounded worker pool in this process. Jobs are wamids; a wamid already
 * waiting or running is not queued twice (job id = wamid), and delayed jobs wait on unref'd timers.
 */
export function createInProcessQueue(options: { concurrency: number; logger: Logger }): WorkQueue {
  let handler: JobHandler | undefined;
  let closing = false;
  const pending = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();

  const pool = fastq.promise(async (wamid: string) => {
    try {
      await handler?.(wamid);
    } catch (error) {
      // The job itself records failures; reaching here is a bug, and the reconciler retries the row.
      options.logger.error({ wamid, err: error }, 'job crashed');
    } finally {
      pending.delete(wamid);
    }
  }, options.concurrency);
  pool.pause();

  function push(wamid: string): void {
    if (closing || pending.has(wamid)) return;
    pending.add(wamid);
    void pool.push(wamid);
  }

  return {
    start(jobHandler) {
      handler = jobHandler;
      pool.resume();
    },
    async enqueue(wamid, enqueueOptions) {
      const delayMs = enqueueOptions?.delayMs ?? 0;
      if (delayMs <= 0) return push(wamid);
      if (closing || timers.has(wamid)) return;
      const timer = setTimeout(() => {
        timers.delete(wamid);
        push(wamid);
      }, delayMs);
      timer.unref();
      timers.set(wamid, timer);
    },
    size: () => pending.size + timers.size,
    async close(graceMs) {
      closing = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      // Waiting jobs are dropped (their rows stay `received` for the next start); running ones finish.
      pool.kill();
      const drained = waitUntil(() => pool.running() === 0);
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    },
  };
}

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
}
