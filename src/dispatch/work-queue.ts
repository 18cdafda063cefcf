export type JobHandler = (wamid: string) => Promise<void>;

/**
 * The work port. A job is just a wamid: the catalog row is the payload and the truth, so a queue that
 * loses a job loses nothing (reconciliation finds the row again).
 *
 * What every adapter promises:
 * - every enqueued wamid reaches a handler (in this process, or with BullMQ in any process on the queue);
 * - enqueueing a wamid that is already waiting (not delayed, not yet running) is a no-op: it runs once;
 * - a delayed enqueue runs no earlier than its delay, and one made from inside the handler for its own
 *   wamid (the retry path) runs again;
 * - at most `concurrency` handlers run at once per process.
 * What no adapter promises: exactly-once. A wamid can reach a handler again (a retry enqueued twice, the
 * reconciler, a worker that died mid-job), so the handler must be idempotent; ours is, through the
 * catalog's atomic claim.
 */
export interface WorkQueue {
  start(handler: JobHandler): void;
  enqueue(wamid: string, options?: { delayMs?: number }): Promise<void>;
  /** Jobs waiting or running in this process (with BullMQ, waiting jobs live in Redis: running ones only). */
  size(): number;
  /** Stops taking jobs, lets running ones finish for up to `graceMs`, then returns. */
  close(graceMs: number): Promise<void>;
}
