// Figure 3: webhook ack latency under load. autocannon POSTs correctly signed webhooks (one photo message
// each, unique wamids) at a fixed rate to the service running as its own process while its workers
// process; the reference, measured just before on the same process, is the same rate of signed text
// messages (acknowledged, no row, no work). Then every accepted item must end up stored.
import path from 'node:path';
import { openPgliteCatalog } from '../src/catalog/pglite-catalog.ts';
import { startChildService, type ChildService } from './lib/child-service.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { smallPhoto } from './lib/photos.ts';
import { pollUntil } from './lib/pool.ts';
import { countByStatusAt, createBenchDatabase } from './lib/postgres.ts';
import { startScenario, type SummaryRow } from './lib/results.ts';
import { applySharpSettings, benchSettings } from './lib/settings.ts';
import { startStandin } from './lib/standin.ts';
import { fmt, fmtMs, percentile } from './lib/stats.ts';
import { mediaPostFactory, postWebhook, textPost } from './lib/webhooks.ts';

const TARGET_P99_MS = 25;
const MEDIA_ID = '880000000000001';
const settings = benchSettings();
// Only for the header line: the service process gets the same settings through sharp-preload.ts.
applySharpSettings();
const { ackRate: rate, ackConnections: connections, ackDurationS: durationS, ackReferenceS: referenceS } = settings;
const scenario = startScenario('ack', settings.tag, { rate, connections, durationS, referenceS, catalogs: settings.ackCatalogs, workers: settings.workers });
const photo = await smallPhoto();
const standin = await startStandin();
standin.addMedia(MEDIA_ID, { bytes: photo.bytes, mimeType: photo.mimeType });
const nextMediaPost = mediaPostFactory(MEDIA_ID, photo);

/** The monotonic clock in µs, the clock V8's CPU profiles use: lets `npm run bench -- profile` slice the load window. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const pool = <T>(seconds: number, make: () => T): T[] => Array.from({ length: rate * (seconds + 2) + connections * 2 }, make);
const summarise = (load: LoadResult) => ({
  sent: load.sent,
  ok: load.ok,
  non2xx: load.non2xx,
  errors: load.errors + load.timeouts,
  achievedRate: load.achievedRate,
  p50: percentile(load.latencies, 50),
  p99: percentile(load.latencies, 99),
  max: Math.max(...load.latencies),
  autocannon: load.autocannon,
  statusCodes: load.statusCodes,
});

async function countRows(service: ChildService, databaseUrl: string | undefined): Promise<Record<string, number>> {
  if (databaseUrl) return countByStatusAt(databaseUrl);
  // PGlite admits one process per directory: read it once the service has exited.
  const catalog = await openPgliteCatalog(path.join(service.dataDir, 'catalog'));
  try {
    const { rows } = await catalog.db.query<{ status: string; n: number }>('select status, count(*)::int as n from image_metadata group by status');
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  } finally {
    await catalog.close();
  }
}

async function runFor(catalog: 'pglite' | 'postgres') {
  const database = catalog === 'postgres' ? await createBenchDatabase(settings.databaseAdminUrl) : undefined;
  const service = await startChildService({ graphBaseUrl: standin.baseUrl, databaseUrl: database?.url });
  try {
    // Warm-up (JIT, connections, first sharp use): 200 text and 50 photo messages, one at a time.
    let warmupMedia = 0;
    for (let i = 0; i < 250; i++) {
      const { status } = await postWebhook(service.url, i % 5 === 0 ? nextMediaPost() : textPost());
      if (status !== 200) throw new Error(`warm-up POST answered ${status}: ${service.stderr()}`);
      if (i % 5 === 0) warmupMedia++;
    }
    await pollUntil(async () => ((await service.metrics()).media_stored_total ?? 0) >= warmupMedia || undefined, { everyMs: 50, timeoutMs: 60_000, what: 'warm-up' });

    const reference = summarise(await runLoad(service.url, pool(referenceS, textPost), { rate, connections, durationS: referenceS }));
    console.log(`  ${catalog} reference (text messages, ${referenceS} s): p50 ${fmtMs(reference.p50, 2)}, p99 ${fmtMs(reference.p99, 2)}, max ${fmtMs(reference.max, 1)}, ${fmt(reference.achievedRate, 0)} req/s, non-2xx ${reference.non2xx}`);

    const loadStarted = performance.now();
    const window = { loadStartUs: monotonicUs(), loadEndUs: 0, drainEndUs: 0 };
    const load = summarise(await runLoad(service.url, pool(durationS, nextMediaPost), { rate, connections, durationS }));
    window.loadEndUs = monotonicUs();
    const atEnd = await service.metrics();
    console.log(`  ${catalog} photos (${durationS} s): p50 ${fmtMs(load.p50, 2)}, p99 ${fmtMs(load.p99, 2)}, max ${fmtMs(load.max, 1)}, ${fmt(load.achievedRate, 0)} req/s, non-2xx ${load.non2xx}, errors ${load.errors}; stored by the end: ${atEnd.media_stored_total ?? 0}`);

    // autocannon stops counting with requests still in flight; the service's own count is the truth.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const expected = (await service.metrics()).media_accepted_total ?? 0;
    if (expected < warmupMedia + load.ok) throw new Error(`the service counted ${expected} accepted items, fewer than the ${warmupMedia + load.ok} answered 200`);
    const drained = await pollUntil(
      async () => {
        const m = await service.metrics();
        return (m.media_stored_total ?? 0) + (m.media_failed_total ?? 0) >= expected ? m : undefined;
      },
      { everyMs: 200, timeoutMs: 600_000, what: `${expected} items to be stored` },
    );
    const drainS = (performance.now() - loadStarted) / 1000 - durationS;
    window.drainEndUs = monotonicUs();
    const exitCode = await service.stop();
    const rows = await countRows(service, database?.url);
    const allStored = (rows.stored ?? 0) === expected && Object.keys(rows).length === 1;
    console.log(`  ${catalog}: ${expected} accepted, drained ${fmt(drainS, 1)} s after the load; rows after exit (code ${exitCode}): ${JSON.stringify(rows)}`);
    if (process.env.BENCH_CHILD_NODE_ARGS?.includes('--cpu-prof')) {
      console.log(`  load window for \`npm run bench -- profile <file> 30 ${window.loadStartUs} ${window.loadEndUs}\`; drain until ${window.drainEndUs}`);
    }
    return { catalog, window, reference, load, expected, warmupMedia, failed: drained.media_failed_total ?? 0, rows, allStored, drainS, storedDuringLoad: atEnd.media_stored_total ?? 0 };
  } finally {
    await service.stop();
    await service.cleanup();
    await database?.drop();
  }
}

const runs = [];
for (const catalog of settings.ackCatalogs) runs.push(await runFor(catalog));
await standin.close();

const rows: SummaryRow[] = runs.map((run) => ({
  figure: `webhook ack @${rate}/s, ${durationS} s, ${run.catalog}`,
  ours: `p50 ${fmtMs(run.load.p50, 1)}, p99 ${fmtMs(run.load.p99, 1)}, max ${fmtMs(run.load.max, 0)}; non-2xx ${run.load.non2xx + run.load.errors}; stored ${run.rows.stored ?? 0}/${run.expected}`,
  reference: `text-only p99 ${fmtMs(run.reference.p99, 1)}`,
  ratio: `p99 ×${fmt(run.load.p99 / run.reference.p99, 1)}`,
  target: `p99 ≤ ${TARGET_P99_MS} ms, 0 non-200, all stored`,
  met: run.load.p99 <= TARGET_P99_MS && run.load.non2xx === 0 && run.load.errors === 0 && run.allStored,
}));
await scenario.finish(rows, { photoBytes: photo.bytes.length, runs: runs.map((r) => ({ ...r, load: { ...r.load }, reference: { ...r.reference } })) });
