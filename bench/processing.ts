// Figure 1: our media stage (processImage) vs bare sharp doing the same work on the same bytes,
// one image at a time and at full concurrency, interleaved so machine noise hits both.
import { benchPhotos, describePhotos, type Photo } from './lib/photos.ts';
import { freshCopy, MEDIA, PIPELINES, type PipelineName } from './lib/pipelines.ts';
import { runPool } from './lib/pool.ts';
import { startScenario, type SummaryRow } from './lib/results.ts';
import { applySharpSettings, benchSettings } from './lib/settings.ts';
import { cpuMs, fmt, fmtMs, fmtRatio, median, sum } from './lib/stats.ts';
import { renderTable } from './lib/table.ts';

const TARGET = 0.9;
const settings = benchSettings();
const sharpSettings = applySharpSettings();
const scenario = startScenario('processing', settings.tag, { rounds: settings.rounds, concurrency: settings.cores, media: MEDIA, sharp: sharpSettings });
const photos = await benchPhotos();
console.log(`photos: ${describePhotos(photos)}`);

// Warm-up: first use loads codecs and fills caches; not measured.
for (const photo of photos) for (const run of Object.values(PIPELINES)) await run(freshCopy(photo.bytes));

/** One image at a time. Each round runs every photo through both, the order flipping every time. */
async function sequential() {
  const times: Record<PipelineName, number[][]> = { ours: photos.map(() => []), bare: photos.map(() => []) };
  const cpu: Record<PipelineName, number> = { ours: 0, bare: 0 };
  for (let round = 0; round < settings.rounds; round++) {
    for (const [i, photo] of photos.entries()) {
      const order: PipelineName[] = (round + i) % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
      for (const name of order) {
        const input = freshCopy(photo.bytes);
        const [started, cpuStarted] = [performance.now(), cpuMs()];
        await PIPELINES[name](input);
        times[name][i]?.push(performance.now() - started);
        cpu[name] += cpuMs() - cpuStarted;
      }
    }
  }
  const perPhoto = photos.map((photo, i) => {
    const oursMs = median(times.ours[i] ?? []);
    const bareMs = median(times.bare[i] ?? []);
    return { photo: photo.name, oursMs, bareMs, ratio: bareMs / oursMs };
  });
  const oursMs = sum(perPhoto.map((p) => p.oursMs));
  const bareMs = sum(perPhoto.map((p) => p.bareMs));
  return { perPhoto, oursMs, bareMs, ratio: bareMs / oursMs, cpuOursMs: cpu.ours, cpuBareMs: cpu.bare, cpuRatio: cpu.bare / cpu.ours };
}

/** Full concurrency: a batch of every photo ×2 at `cores` jobs in flight, ours and bare alternating per round. */
async function concurrent(concurrency: number) {
  const batch: Photo[] = [...photos, ...photos];
  const rounds: { ours: number; bare: number; ratio: number }[] = [];
  const cpu: Record<PipelineName, number> = { ours: 0, bare: 0 };
  for (let round = 0; round < settings.rounds; round++) {
    const order: PipelineName[] = round % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
    const ips = { ours: 0, bare: 0 };
    for (const name of order) {
      const inputs = batch.map((photo) => freshCopy(photo.bytes));
      const cpuStarted = cpuMs();
      const ms = await runPool(inputs, concurrency, (input) => PIPELINES[name](input));
      cpu[name] += cpuMs() - cpuStarted;
      ips[name] = batch.length / (ms / 1000);
    }
    rounds.push({ ...ips, ratio: ips.ours / ips.bare });
  }
  return {
    rounds,
    oursIps: median(rounds.map((r) => r.ours)),
    bareIps: median(rounds.map((r) => r.bare)),
    ratio: median(rounds.map((r) => r.ratio)),
    cpuOursMs: cpu.ours,
    cpuBareMs: cpu.bare,
    cpuRatio: cpu.bare / cpu.ours,
  };
}

const seq = await sequential();
console.log(`\none at a time (median of ${settings.rounds} interleaved runs per photo):`);
console.log(
  renderTable(
    ['photo', 'ours', 'bare sharp', 'bare ÷ ours'],
    seq.perPhoto.map((p) => [p.photo, fmtMs(p.oursMs), fmtMs(p.bareMs), fmtRatio(p.ratio)]),
  ),
);
const conc = await concurrent(settings.cores);
console.log(`\nconcurrency ${settings.cores}, batch of ${photos.length * 2} (images/s per round):`);
console.log(renderTable(['round', 'ours', 'bare sharp', 'ours ÷ bare'], conc.rounds.map((r, i) => [String(i + 1), fmt(r.ours, 2), fmt(r.bare, 2), fmtRatio(r.ratio)])));

const rows: SummaryRow[] = [
  {
    figure: `processing, 1 at a time (${photos.length} photos)`,
    ours: `${fmtMs(seq.oursMs, 0)} total`,
    reference: `bare sharp ${fmtMs(seq.bareMs, 0)}`,
    ratio: `${fmtRatio(seq.ratio)} speed (CPU ${fmtRatio(seq.cpuRatio)})`,
    target: '≥ 90 %',
    met: seq.ratio >= TARGET,
  },
  {
    figure: `processing, concurrency ${settings.cores}`,
    ours: `${fmt(conc.oursIps, 2)} img/s`,
    reference: `bare sharp ${fmt(conc.bareIps, 2)} img/s`,
    ratio: `${fmtRatio(conc.ratio)} speed (CPU ${fmtRatio(conc.cpuRatio)})`,
    target: '≥ 90 %',
    met: conc.ratio >= TARGET,
  },
];
await scenario.finish(rows, { photos: photos.map((p) => ({ name: p.name, bytes: p.bytes.length })), sequential: seq, concurrent: conc });
