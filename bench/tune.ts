// Tuning experiments without code changes (issue point 5), recorded before/after:
//   npm run bench -- tune [inprocess] [memory] [threadpool] [ack]     (all groups when none is named)
// Process-wide settings (allocator, libuv pool, libvips threads) need their own processes: each variant is
// the figure's own script run with the variable set, so its in-run reference shares the setting.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readResult, SUMMARY_HEADERS, summaryCells } from './lib/results.ts';
import { benchSettings, REPO_ROOT, RESULTS_DIR } from './lib/settings.ts';
import { renderTable } from './lib/table.ts';

interface Experiment {
  group: string;
  name: string;
  script: string;
  env: Record<string, string>;
}

const settings = benchSettings();
const JEMALLOC = '/lib/x86_64-linux-gnu/libjemalloc.so.2';
const twice = String(settings.cores * 2);
// Memory: the Postgres catalog, so the service's own memory shows (PGlite adds hundreds of MB of its own).
const memory = (name: string, env: Record<string, string>): Experiment => ({
  group: 'memory',
  name,
  script: 'memory.ts',
  env: { BENCH_MEMORY_CATALOGS: 'postgres', BENCH_MEMORY_N: process.env.BENCH_MEMORY_N ?? '100', ...env },
});
const EXPERIMENTS: Experiment[] = [
  { group: 'inprocess', name: 'in-process', script: 'tune-inprocess.ts', env: {} },
  memory('defaults', {}),
  memory('MALLOC_ARENA_MAX=2', { MALLOC_ARENA_MAX: '2', BENCH_SHARP_CONCURRENCY: '1' }),
  memory('jemalloc (LD_PRELOAD)', { LD_PRELOAD: JEMALLOC, BENCH_SHARP_CONCURRENCY: '1' }),
  memory('WORKER_CONCURRENCY=1', { WORKER_CONCURRENCY: '1' }),
  memory(`WORKER_CONCURRENCY=${twice}`, { WORKER_CONCURRENCY: twice }),
  memory('sharp.cache(false)', { BENCH_SHARP_CACHE: 'false' }),
  memory('UV_THREADPOOL_SIZE=2', { UV_THREADPOOL_SIZE: '2' }),
  ...['4 (default)', '2', '8'].map((size) => ({
    group: 'threadpool',
    name: `UV_THREADPOOL_SIZE=${size}`,
    script: 'e2e.ts',
    env: { BENCH_CATALOGS: 'pglite', ...(size.startsWith('4') ? {} : { UV_THREADPOOL_SIZE: size }) },
  })),
  ...['2 (default)', '4', '8'].map((workers) => ({
    group: 'ack',
    name: `WORKER_CONCURRENCY=${workers}`,
    script: 'ack-latency.ts',
    env: { BENCH_ACK_DURATION_S: process.env.BENCH_ACK_DURATION_S ?? '10', ...(workers.includes('default') ? {} : { WORKER_CONCURRENCY: workers }) },
  })),
];

const scenarioOf = (script: string) => ({ 'tune-inprocess.ts': 'tune-inprocess', 'memory.ts': 'memory', 'e2e.ts': 'e2e', 'ack-latency.ts': 'ack' })[script] ?? script;
const tagOf = (e: Experiment) => `tune-${e.group}-${e.name.replace(/[^A-Za-z0-9]+/g, '_').replace(/_+$/, '')}`;

function run(e: Experiment): Promise<number | null> {
  console.log(`\n### tune: ${e.group} / ${e.name} ${JSON.stringify(e.env)}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bench', e.script)], {
      stdio: 'inherit',
      env: { ...process.env, ...e.env, BENCH_TAG: tagOf(e) },
    });
    child.once('exit', resolve);
  });
}

const groups = process.argv.slice(2);
const chosen = EXPERIMENTS.filter((e) => groups.length === 0 || groups.includes(e.group));
if (chosen.length === 0) throw new Error(`no such group; known: ${[...new Set(EXPERIMENTS.map((e) => e.group))].join(', ')}`);
const rows: string[][] = [];
for (const experiment of chosen) {
  const code = await run(experiment);
  const result = await readResult(scenarioOf(experiment.script), tagOf(experiment));
  if (code !== 0 || !result) {
    rows.push([`${experiment.group} / ${experiment.name}`, `failed (exit ${code})`, '', '', '', '']);
    continue;
  }
  for (const row of result.rows) rows.push(summaryCells({ ...row, figure: `${experiment.group} / ${experiment.name}: ${row.figure}` }));
}
const table = renderTable(SUMMARY_HEADERS, rows);
console.log(`\n== tuning experiments\n${table}`);
await writeFile(path.join(RESULTS_DIR, 'tune-summary.md'), `${renderTable(SUMMARY_HEADERS, rows, true)}\n`);
