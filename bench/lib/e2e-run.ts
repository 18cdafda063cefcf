import type { GraphStandin } from '../../src/whatsapp/graph-standin.ts';
import { startInProcessService, type CatalogKind } from './in-process-service.ts';
import type { Photo } from './photos.ts';
import { bare, freshCopy } from './pipelines.ts';
import { pollUntil, runPool } from './pool.ts';
import { createBenchDatabase } from './postgres.ts';
import { profileDuring } from './profiler.ts';
import { cpuMs, fmt, fmtMs, percentile } from './stats.ts';
import { describeThreadCpu, threadCpu, threadCpuDelta } from './threads.ts';
import { mediaPostFactory, postWebhook, type SignedPost } from './webhooks.ts';

export interface MediaItem {
  mediaId: string;
  photo: Photo;
}

/** Bare sharp over the same photos (fresh copies, as downloads are) with `concurrency` jobs in flight. */
export async function bareThroughput(items: readonly MediaItem[], concurrency: number, label = 'bare sharp') {
  const [cpuStarted, threadsStarted] = [cpuMs(), threadCpu()];
  const ms = await runPool(items, concurrency, (item) => bare(freshCopy(item.photo.bytes)));
  const ips = items.length / (ms / 1000);
  const cpuPerImage = (cpuMs() - cpuStarted) / items.length;
  const threads = threadCpuDelta(threadsStarted, threadCpu());
  console.log(`  ${label}: ${fmt(ms / 1000, 2)} s, ${fmt(ips, 2)} img/s, ${fmtMs(cpuPerImage)} CPU per image (${describeThreadCpu(threads, items.length)})`);
  return { ms, ips, cpuPerImage, threads };
}

/**
 * One signed webhook per item through the real service in this process (fresh DATA_DIR; a fresh database
 * for Postgres), from the first POST to the last row stored (the catalog's own stored_at).
 */
export async function serviceThroughput(options: {
  standin: GraphStandin;
  items: readonly MediaItem[];
  catalog: CatalogKind;
  label: string;
  postConcurrency: number;
  databaseAdminUrl: string;
  env?: Record<string, string> | undefined;
}) {
  const { items, catalog } = options;
  const database = catalog === 'postgres' ? await createBenchDatabase(options.databaseAdminUrl) : undefined;
  const running = await startInProcessService({ catalog, databaseUrl: database?.url, graphBaseUrl: options.standin.baseUrl, env: options.env });
  try {
    // Bodies are built and signed before the clock starts; Meta has them ready too.
    const posts: SignedPost[] = items.map((item) => mediaPostFactory(item.mediaId, item.photo)());
    const acks: number[] = [];
    const [started, firstPostAt, cpuStarted, threadsStarted] = [performance.now(), Date.now(), cpuMs(), threadCpu()];
    const postsMs = await profileDuring(`e2e-${options.label}`, async () => {
      const sending = runPool(posts, options.postConcurrency, async (post) => {
        const { status, ms } = await postWebhook(running.url, post);
        if (status !== 200) throw new Error(`webhook answered ${status}`);
        acks.push(ms);
      });
      // Polled sparingly (a PGlite query runs on the service's own thread); the end time is the catalog's stored_at.
      await pollUntil(
        async () => {
          const now = await running.counts();
          return (now.stored ?? 0) + (now.failed ?? 0) >= posts.length ? now : undefined;
        },
        { everyMs: 200, timeoutMs: 600_000, what: `${posts.length} rows to be stored` },
      );
      return sending;
    });
    const cpuPerImage = (cpuMs() - cpuStarted) / posts.length;
    const threads = threadCpuDelta(threadsStarted, threadCpu());
    const counts = await running.counts();
    const lastStoredAt = await running.lastStoredAt();
    const ms = lastStoredAt ? lastStoredAt - firstPostAt : performance.now() - started;
    const ips = posts.length / (ms / 1000);
    const ackP50 = percentile(acks, 50);
    const ackP99 = percentile(acks, 99);
    console.log(
      `  ${options.label}: ${fmt(ms / 1000, 2)} s first POST → last row stored, ${fmt(ips, 2)} img/s, ${fmtMs(cpuPerImage)} CPU per image (${describeThreadCpu(threads, posts.length)}); ${posts.length} POSTs answered in ${fmt(postsMs / 1000, 2)} s (ack p50 ${fmtMs(ackP50)}, p99 ${fmtMs(ackP99)}); rows ${JSON.stringify(counts)}`,
    );
    return { catalog, ms, ips, cpuPerImage, threads, counts, postsMs, ackP50, ackP99, workers: running.workers };
  } finally {
    await running.stop();
    await database?.drop();
  }
}
