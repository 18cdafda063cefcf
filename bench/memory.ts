// Figure 4: peak RSS of the service process (its own process, `serve`) while N ~5 MB photos arrive as
// fast as it accepts them, sampled from /proc every 50 ms; the reference, measured just before, is bare
// sharp alone in a process doing the same N photos at the same concurrency.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startChildService } from './lib/child-service.ts';
import { hd5mbPhoto } from './lib/photos.ts';
import { pollUntil, runPool, sleep } from './lib/pool.ts';
import { readRss, sampleRss } from './lib/proc.ts';
import { startScenario, type SummaryRow } from './lib/results.ts';
import { applySharpSettings, benchSettings, REPO_ROOT } from './lib/settings.ts';
import { startStandin } from './lib/standin.ts';
import { fmt, fmtMb } from './lib/stats.ts';
import { mediaPostFactory, postWebhook } from './lib/webhooks.ts';
import { createBenchDatabase } from './lib/postgres.ts';

const TARGET_BYTES = 350 * 1024 * 1024;
const settings = benchSettings();
// Only for the header line: the service process gets the same settings through sharp-preload.ts.
applySharpSettings();
const n = settings.memoryN;
const scenario = startScenario('memory', settings.tag, { n, workers: settings.workers, postConcurrency: settings.postConcurrency, catalogs: settings.memoryCatalogs });
const photo = await hd5mbPhoto();
console.log(`${n} × ${photo.name} (${(photo.bytes.length / 1024 / 1024).toFixed(2)} MB), ${settings.workers} workers`);

async function bareReference() {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bench/lib/bare-child.ts'), photo.file, String(n), String(settings.workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.pid === undefined) throw new Error('could not start bare-child.ts');
  const sampler = sampleRss(child.pid);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  // The last sample must be taken while the process still exists: stop sampling when it prints its result.
  const done = new Promise<string>((resolve) => child.stdout.on('data', () => out.includes('\n') && resolve(out)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const first = await Promise.race([done, exited]);
  const rss = sampler.stop();
  const code = await exited;
  if (typeof first !== 'string' && code !== 0) throw new Error(`bare-child.ts exited with ${code}`);
  const { ms } = JSON.parse(out) as { ms: number };
  console.log(`  bare sharp: peak RSS ${fmtMb(rss.hwm)}, ${fmt(ms / 1000, 1)} s, ${fmt(n / (ms / 1000), 2)} img/s`);
  return { peak: rss.hwm, maxSampled: rss.maxSampled, ms };
}

/**
 * The service on its second start (a deployed service restarts on an existing DATA_DIR; the first start
 * also creates the PGlite database, whose peak is reported separately), then N photos as fast as it accepts.
 */
async function serviceRun(catalog: 'pglite' | 'postgres') {
  const standin = await startStandin();
  const makePost = mediaPostFactory('660000000000000', photo);
  const posts = Array.from({ length: n }, (_, i) => {
    const mediaId = `66${String(i).padStart(13, '0')}`;
    standin.addMedia(mediaId, { bytes: photo.bytes, mimeType: photo.mimeType });
    return makePost(mediaId);
  });
  const database = catalog === 'postgres' ? await createBenchDatabase(settings.databaseAdminUrl) : undefined;
  const first = await startChildService({ graphBaseUrl: standin.baseUrl, databaseUrl: database?.url });
  await sleep(500);
  const firstStartPeak = readRss(first.pid)?.hwm ?? Number.NaN;
  await first.stop();
  const service = await startChildService({ graphBaseUrl: standin.baseUrl, databaseUrl: database?.url, dataDir: first.dataDir });
  try {
    await sleep(1000);
    const idle = readRss(service.pid)?.rss ?? Number.NaN;
    const sampler = sampleRss(service.pid);
    const started = performance.now();
    const postsMs = await runPool(posts, settings.postConcurrency, async (post) => {
      const { status } = await postWebhook(service.url, post);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
    });
    const metrics = await pollUntil(
      async () => {
        const m = await service.metrics();
        return (m.media_stored_total ?? 0) + (m.media_failed_total ?? 0) >= n ? m : undefined;
      },
      { everyMs: 100, timeoutMs: 600_000, what: `${n} photos to be stored` },
    );
    const ms = performance.now() - started;
    const rss = sampler.stop();
    console.log(
      `  service (${catalog}): peak RSS ${fmtMb(rss.hwm)} (idle ${fmtMb(idle)}; first start ${fmtMb(firstStartPeak)}), ${fmt(ms / 1000, 1)} s, ${fmt(n / (ms / 1000), 2)} img/s; ${n} POSTs answered in ${fmt(postsMs / 1000, 2)} s; stored ${metrics.media_stored_total ?? 0}, failed ${metrics.media_failed_total ?? 0}`,
    );
    const stored = metrics.media_stored_total ?? 0;
    return { catalog, peak: rss.hwm, maxSampled: rss.maxSampled, idle, firstStartPeak, ms, postsMs, stored, failed: metrics.media_failed_total ?? 0, samples: rss.samples };
  } finally {
    await service.stop();
    await service.cleanup();
    await standin.close();
    await database?.drop();
  }
}

const reference = await bareReference();
const runs = [];
for (const catalog of settings.memoryCatalogs) runs.push(await serviceRun(catalog));
const rows: SummaryRow[] = runs.map((run) => ({
  figure: `peak RSS, ${n} × ${fmt(photo.bytes.length / 1024 / 1024, 1)} MB photos, ${run.catalog}`,
  ours: `${fmtMb(run.peak)} (idle ${fmtMb(run.idle)}); stored ${run.stored}/${n}`,
  reference: `bare sharp process ${fmtMb(reference.peak)}`,
  ratio: `×${fmt(run.peak / reference.peak, 2)}`,
  target: '≤ 350 MB',
  met: run.peak <= TARGET_BYTES && run.stored === n,
}));
await scenario.finish(rows, { photo: { name: photo.name, bytes: photo.bytes.length }, reference, runs });
