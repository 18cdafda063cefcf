// Tuning experiments that need no code change and can share one process, interleaved with bare sharp at
// its defaults so machine noise hits all: the end-to-end run (PGlite) under WORKER_CONCURRENCY and sharp
// settings, and one-at-a-time latency of a 12 MP photo under sharp.concurrency.
import sharp from 'sharp';
import { bareThroughput, serviceThroughput } from './lib/e2e-run.ts';
import { benchPhotos, hd12mpPhoto } from './lib/photos.ts';
import { bare, freshCopy, ours } from './lib/pipelines.ts';
import { startScenario, type SummaryRow } from './lib/results.ts';
import { benchSettings } from './lib/settings.ts';
import { addMediaItems, startStandin } from './lib/standin.ts';
import { fmt, fmtMs, fmtRatio, mean, median } from './lib/stats.ts';

interface Variant {
  name: string;
  env?: Record<string, string>;
  sharp?: { concurrency?: number; cache?: boolean };
}

const settings = benchSettings();
const DEFAULT_SHARP_CONCURRENCY = sharp.concurrency();
const CHOICES: Record<string, Variant> = {
  defaults: { name: 'defaults' },
  workers1: { name: 'WORKER_CONCURRENCY=1', env: { WORKER_CONCURRENCY: '1' } },
  workers2x: { name: `WORKER_CONCURRENCY=${settings.cores * 2}`, env: { WORKER_CONCURRENCY: String(settings.cores * 2) } },
  sharpThreads: { name: `sharp.concurrency(${settings.cores})`, sharp: { concurrency: settings.cores } },
  cacheOff: { name: 'sharp.cache(false)', sharp: { cache: false } },
};
// BENCH_TUNE_VARIANTS picks and orders them, e.g. "defaults,workers2x,defaults,workers2x" for an A/B.
const VARIANTS: Variant[] = (process.env.BENCH_TUNE_VARIANTS ?? 'defaults,workers1,workers2x,sharpThreads,cacheOff,defaults').split(',').map((key) => {
  const variant = CHOICES[key.trim()];
  if (!variant) throw new Error(`unknown variant ${key}; known: ${Object.keys(CHOICES).join(', ')}`);
  return variant;
});
const scenario = startScenario('tune-inprocess', settings.tag, { n: settings.e2eN, variants: VARIANTS, defaultSharpConcurrency: DEFAULT_SHARP_CONCURRENCY });

function applySharp(variant: Variant): void {
  sharp.concurrency(variant.sharp?.concurrency ?? DEFAULT_SHARP_CONCURRENCY);
  sharp.cache(variant.sharp?.cache ?? true);
}

// 1. One 12 MP photo at a time: libvips threads per image decide the latency of a single job.
const hd = await hd12mpPhoto();
const latency: Record<string, number[]> = { ours: [], 'ours, sharp.concurrency(2)': [], bare: [] };
for (let round = 0; round < 6; round++) {
  for (const [name, run, threads] of [
    ['ours', ours, DEFAULT_SHARP_CONCURRENCY],
    ['ours, sharp.concurrency(2)', ours, settings.cores],
    ['bare', bare, DEFAULT_SHARP_CONCURRENCY],
  ] as const) {
    sharp.concurrency(threads);
    const input = freshCopy(hd.bytes);
    const started = performance.now();
    await run(input);
    if (round > 0) latency[name]?.push(performance.now() - started);
  }
}
sharp.concurrency(DEFAULT_SHARP_CONCURRENCY);
for (const [name, times] of Object.entries(latency)) console.log(`  ${hd.name} one at a time, ${name}: median ${fmtMs(median(times), 0)}`);

// 2. End to end under each variant, each between two bare-sharp runs at sharp's defaults.
const photos = await benchPhotos();
const standin = await startStandin();
const items = addMediaItems(standin, '5', settings.e2eN, photos);
for (const photo of photos) await bare(freshCopy(photo.bytes));
const bares = [await bareThroughput(items, settings.cores)];
const runs = [];
for (const variant of VARIANTS) {
  applySharp(variant);
  const run = await serviceThroughput({
    standin,
    items,
    catalog: 'pglite',
    label: variant.name,
    postConcurrency: settings.postConcurrency,
    databaseAdminUrl: settings.databaseAdminUrl,
    env: variant.env,
  });
  applySharp({ name: 'defaults' });
  bares.push(await bareThroughput(items, settings.cores));
  const bareIps = mean(bares.slice(-2).map((b) => b.ips));
  runs.push({ variant: variant.name, ...run, bareIps, ratio: run.ips / bareIps });
}
await standin.close();

const rows: SummaryRow[] = [
  ...Object.entries(latency).map(([name, times]) => ({
    figure: `1 × ${hd.name}, ${name}`,
    ours: fmtMs(median(times), 0),
    reference: `bare ${fmtMs(median(latency.bare ?? []), 0)}`,
    ratio: `${fmtRatio(median(latency.bare ?? []) / median(times))} speed`,
    target: '—',
    met: undefined,
  })),
  ...runs.map((run) => ({
    figure: `end-to-end pglite N=${settings.e2eN}, ${run.variant}`,
    ours: `${fmt(run.ips, 2)} img/s, ${fmt(run.cpuPerImage, 0)} ms CPU/img, POST p99 ${fmtMs(run.ackP99, 0)}`,
    reference: `bare sharp (defaults, ${settings.cores} at once) ${fmt(run.bareIps, 2)} img/s`,
    ratio: `${fmtRatio(run.ratio)} speed`,
    target: '—',
    met: undefined,
  })),
];
await scenario.finish(rows, { latency, bares, runs });
