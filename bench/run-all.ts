// `npm run bench` runs every figure, each in its own process, and prints one table.
//   npm run bench -- processing e2e ack memory     some of them (ack = latency)
//   npm run bench -- ack --duration=10 --rate=500  flags become BENCH_* variables (see lib/settings.ts)
//   npm run bench -- tune                          the tuning experiments (bench/tune.ts)
//   npm run bench -- profile file.cpuprofile       top self-time functions of a --cpu-prof profile
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machineInfo } from './lib/machine.ts';
import { readResult, SUMMARY_HEADERS, summaryCells, type ScenarioResult } from './lib/results.ts';
import { REPO_ROOT, RESULTS_DIR } from './lib/settings.ts';
import { renderTable } from './lib/table.ts';

const SCRIPTS: Record<string, string> = {
  processing: 'processing.ts',
  e2e: 'e2e.ts',
  ack: 'ack-latency.ts',
  memory: 'memory.ts',
};
const ALIASES: Record<string, string> = { latency: 'ack', 'ack-latency': 'ack', 'end-to-end': 'e2e', rss: 'memory' };
const TOOLS: Record<string, string> = { tune: 'tune.ts', profile: 'cpuprofile-top.ts' };
const FLAGS: Record<string, string[]> = {
  duration: ['BENCH_ACK_DURATION_S'],
  rate: ['BENCH_ACK_RATE'],
  connections: ['BENCH_ACK_CONNECTIONS'],
  reference: ['BENCH_ACK_REFERENCE_S'],
  n: ['BENCH_E2E_N', 'BENCH_MEMORY_N'],
  rounds: ['BENCH_ROUNDS'],
  catalogs: ['BENCH_CATALOGS', 'BENCH_ACK_CATALOGS', 'BENCH_MEMORY_CATALOGS'],
  tag: ['BENCH_TAG'],
  workers: ['WORKER_CONCURRENCY'],
};

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function parse(argv: string[]) {
  const env: Record<string, string> = {};
  const names: string[] = [];
  for (const arg of argv) {
    const flag = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (flag?.[1] !== undefined && flag[2] !== undefined) {
      const targets = FLAGS[flag[1]];
      if (!targets) fail(`unknown flag --${flag[1]} (known: ${Object.keys(FLAGS).map((f) => `--${f}=…`).join(' ')})`);
      for (const target of targets) env[target] = flag[2];
    } else {
      names.push(arg);
    }
  }
  return { env, names };
}

function run(script: string, args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bench', script), ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('exit', (code) => resolve(code));
  });
}

const { env, names } = parse(process.argv.slice(2));
const tool = names[0] ? TOOLS[names[0]] : undefined;
if (tool) process.exit((await run(tool, names.slice(1), env)) ?? 1);

const selected = (names.length === 0 || names.includes('all') ? Object.keys(SCRIPTS) : names).map((name) => ALIASES[name] ?? name);
const unknown = selected.filter((name) => !SCRIPTS[name]);
if (unknown.length > 0) fail(`unknown figure(s) ${unknown.join(', ')}; known: ${[...Object.keys(SCRIPTS), ...Object.keys(TOOLS)].join(', ')}`);

const tag = env.BENCH_TAG ?? process.env.BENCH_TAG ?? '';
const started = performance.now();
const failures: string[] = [];
const results: ScenarioResult[] = [];
for (const name of selected) {
  const runStarted = new Date().toISOString();
  const code = await run(SCRIPTS[name] as string, [], env);
  const result = await readResult(name, tag);
  if (code !== 0 || !result || result.startedAt < runStarted) failures.push(`${name} (exit ${code})`);
  else results.push(result);
}

const machine = machineInfo();
const totalS = (performance.now() - started) / 1000;
const rows = results.flatMap((r) => r.rows.map(summaryCells));
const heading = `${machine.nproc} cores (${machine.cpuModel}), ${machine.memoryTotalMb} MB, node ${machine.node}, sharp ${machine.sharp}, libvips ${machine.libvips}; ${totalS.toFixed(0)} s in all`;
console.log(`\n== summary — ${heading}\n${renderTable(SUMMARY_HEADERS, rows)}`);
await mkdir(RESULTS_DIR, { recursive: true });
// summary.md is the full run; a partial run names its figures, so it never overwrites the full table.
const partial = selected.length === Object.keys(SCRIPTS).length ? '' : `-${selected.join('-')}`;
const base = path.join(RESULTS_DIR, `summary${partial}${tag ? `-${tag}` : ''}`);
await writeFile(`${base}.md`, `${heading}\n\n${renderTable(SUMMARY_HEADERS, rows, true)}\n`);
await writeFile(`${base}.json`, `${JSON.stringify({ machine, totalS, selected, failures, results }, null, 2)}\n`);
console.log(`(written to ${path.relative(process.cwd(), base)}.md and .json)`);
if (failures.length > 0) {
  console.error(`failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
