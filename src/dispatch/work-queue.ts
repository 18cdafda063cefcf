export type JobHandler = (wamid: string) => Promise<void>;

/**
 * The work port. A job is just a wamid: the catalog row is the payload and the truth, so a queue that
 * loses a job loses nothing (reconciliation finds the row again). Enqueueing a wamid that is already
 * waiting is a no-op (job id = wamid).
 */
export interface WorkQueue {
  start(handler: JobHandler): void;
  enqueue(wamid: string, options?: { delayMs?: number }): Promise<void>;
  /** Jobs waiting or running in this process. */
  size(): number;
  /** Stops taking jobs, lets running ones finish for up to `graceMs`, then returns. */
  close(graceMs: number): Promise<void>;
}
