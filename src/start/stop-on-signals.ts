import type { Logger } from '../shared/logger.ts';

/** SIGINT/SIGTERM run `stop` once (a second signal while stopping is ignored), then the process exits. */
export function stopOnSignals(logger: Logger, phases: string, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `shutting down: ${phases}`);
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
