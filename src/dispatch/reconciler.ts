import type { Catalog } from '../catalog/catalog.ts';
import type { Logger } from '../shared/logger.ts';
import type { WorkQueue } from './work-queue.ts';

/**
 * The safety net behind "nothing is lost": at start-up and on a timer, every row still `received` and
 * due, or `processing` with a lapsed lease (its worker died), is dispatched again.
 */
export function createReconciler(deps: { catalog: Catalog; queue: WorkQueue; intervalMs: number; logger: Logger }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    let dispatched = 0;
    const due = await deps.catalog.findDue(new Date(), 1000);
    for (const wamid of due) {
      await deps.queue.enqueue(wamid);
      dispatched += 1;
    }
    if (dispatched > 0) deps.logger.info({ dispatched }, 'reconciler re-dispatched unfinished media');
    return dispatched;
  }

  /** One sweep at a time: a slow catalog must not stack sweeps on top of each other. */
  function runOnce(): Promise<number> {
    running ??= sweep()
      .catch((error: unknown) => {
        deps.logger.error({ err: error }, 'reconciler sweep failed; will try again');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    runOnce,
    start(): void {
      void runOnce();
      timer = setInterval(() => void runOnce(), deps.intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
