import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pollUntil } from './pool.ts';
import { REPO_ROOT } from './settings.ts';
import { ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID } from './webhooks.ts';

const CLI = path.join(REPO_ROOT, 'src/start/cli.ts');
const PRELOAD = path.join(REPO_ROOT, 'bench/lib/sharp-preload.ts');
/** Handed on to the child, so tuning experiments reach the service process. */
const PASS_THROUGH = [
  'WORKER_CONCURRENCY', 'UV_THREADPOOL_SIZE', 'MALLOC_ARENA_MAX', 'LD_PRELOAD', 'GLIBC_TUNABLES', 'VIPS_CONCURRENCY', 'NODE_OPTIONS',
  'BENCH_SHARP_CONCURRENCY', 'BENCH_SHARP_CACHE',
];

export interface ChildService {
  child: ChildProcess;
  pid: number;
  url: string;
  dataDir: string;
  /** Prometheus counters summed over labels. */
  metrics(): Promise<Record<string, number>>;
  /** SIGTERM (graceful: stop HTTP, drain, close catalog), then waits for the exit. Keeps DATA_DIR. */
  stop(): Promise<number | null>;
  /** Deletes DATA_DIR. */
  cleanup(): Promise<void>;
  stderr(): string;
}

/**
 * `node src/start/cli.ts serve` in its own process on a temporary DATA_DIR, downloading from the
 * stand-in at `graphBaseUrl`. Its cwd is DATA_DIR, so a developer's .env never leaks into a run. Extra node
 * flags (e.g. --cpu-prof) come from BENCH_CHILD_NODE_ARGS.
 */
export async function startChildService(options: {
  graphBaseUrl: string;
  databaseUrl?: string | undefined;
  /** Reuse a DATA_DIR (a restart); a fresh temporary one otherwise. */
  dataDir?: string | undefined;
}): Promise<ChildService> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'mv-bench-serve-')));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    GRAPH_API_BASE_URL: options.graphBaseUrl,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  };
  for (const name of PASS_THROUGH) if (process.env[name]) env[name] = process.env[name];
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, ['--import', PRELOAD, ...nodeArgs, CLI, 'serve'], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the service process');

  const info = await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${stderr}`);
      try {
        const file = JSON.parse(await readFile(path.join(dataDir, 'service.json'), 'utf8')) as { url: string; pid: number };
        return file.pid === pid ? file : undefined;
      } catch {
        return undefined;
      }
    },
    { everyMs: 50, timeoutMs: 60_000, what: 'the service to listen' },
  );

  return {
    child,
    pid,
    url: info.url,
    dataDir,
    async metrics() {
      const text = await (await fetch(`${info.url}/metrics`)).text();
      const totals: Record<string, number> = {};
      for (const line of text.split('\n')) {
        const match = /^([a-z_]+)(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?)$/.exec(line.trim());
        if (match?.[1]) totals[match[1]] = (totals[match[1]] ?? 0) + Number(match[2]);
      }
      return totals;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timeout);
      return code;
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
    stderr: () => stderr,
  };
}
