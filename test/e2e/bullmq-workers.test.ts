import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRecord } from '../../src/catalog/media-record.ts';
import { escapeNonAscii } from '../../src/ingress/signature.ts';
import { createTestDatabase, type TestDatabase } from '../catalog/databases.ts';
import { freshFixture } from '../support/fixtures.ts';
import { ACCESS_TOKEN, startHarness, type Harness } from '../support/harness.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE_NAME = `mv-test-${randomBytes(6).toString('hex')}`;
// Every process shares these; the lease is long enough that no healthy job outlives it on a busy machine.
const SHARED_ENV = {
  REDIS_URL,
  QUEUE_NAME,
  LOG_LEVEL: 'info',
  LEASE_MS: '10000',
  RECONCILE_INTERVAL_MS: '200',
  RETRY_BASE_MS: '20',
  RETRY_MAX_MS: '100',
  HTTP_TIMEOUT_MS: '1500',
};
const ALBUM_MEDIA_IDS = ['900000000000102', '900000000000103', '900000000000104'];
const VARIETY_MEDIA_IDS = ['900000000000112', '900000000000113', '900000000000114', '900000000000115'];

interface LogLine {
  msg: string;
  wamid?: string;
}

/** A `media-vault worker` child process and the JSON log lines it printed. */
interface WorkerProcess {
  child: ChildProcess;
  lines: LogLine[];
}

let db: TestDatabase;
let h: Harness;
const serverLog: string[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  h = await startHarness({ ...SHARED_ENV, DATABASE_URL: db.url, WORKER_CONCURRENCY: '1' }, { logLines: serverLog });
}, 60_000);

afterAll(async () => {
  for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
  const queue = new Queue(QUEUE_NAME, { connection: { url: REDIS_URL } });
  await queue.obliterate({ force: true });
  await queue.close();
  await db?.drop();
}, 60_000);

/** Starts `media-vault worker` as another machine would run it, and resolves once it takes jobs. */
async function startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['src/start/cli.ts', 'worker'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      ...SHARED_ENV,
      DATABASE_URL: db.url,
      // Same machine: the same local image folder as the server's.
      DATA_DIR: h.dataDir,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      PHONE_NUMBER_ID: '100000000000001',
      GRAPH_API_BASE_URL: h.standin.baseUrl,
      WORKER_CONCURRENCY: '2',
      ...env,
    },
  });
  const worker: WorkerProcess = { child, lines: [] };
  workers.push(worker);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) if (line.trim()) worker.lines.push(JSON.parse(line) as LogLine);
  });
  await waitFor(() => worker.lines.some((l) => l.msg === 'media-vault worker is taking jobs'), () => `worker start (exit ${child.exitCode}): ${stderr}`);
  return worker;
}

async function waitFor(done: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function postFresh(fixture: string): Promise<string[]> {
  const { body, wamids } = freshFixture(fixture);
  const response = await h.post(escapeNonAscii(body));
  expect(response.status).toBe(200);
  return wamids;
}

async function allRows(): Promise<MediaRecord[]> {
  return h.service.catalog.list({ limit: 1000 });
}

async function storedFiles(): Promise<string[]> {
  const entries = await readdir(path.join(h.dataDir, 'media'), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => path.relative(path.join(h.dataDir, 'media'), path.join(e.parentPath, e.name)))
    .sort();
}

const storedBy = (lines: readonly LogLine[]) => lines.filter((l) => l.msg === 'media stored').map((l) => l.wamid);
const serverLines = () => serverLog.map((line) => JSON.parse(line) as LogLine);

describe('BullMQ: the server and two `media-vault worker` processes share one Redis queue and one Postgres catalog', () => {
  it('stores every photo exactly once, and both worker processes do part of the work', async () => {
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    const wamids: string[] = [];
    for (let i = 0; i < 4; i++) wamids.push(...(await postFresh('album-three-photos')));
    for (let i = 0; i < 2; i++) wamids.push(...(await postFresh('variety-pack')));

    const records = await h.waitForFinal(wamids, 60_000);
    expect(records.map((r) => r.status)).toEqual(Array(wamids.length).fill('stored'));
    expect(records.map((r) => r.attempts)).toEqual(Array(wamids.length).fill(1));

    // Exactly once: one 'media stored' line per wamid over all three processes, and one file per row.
    const stored = [...storedBy(serverLines()), ...storedBy(a.lines), ...storedBy(b.lines)];
    expect([...stored].sort()).toEqual([...wamids].sort());
    expect(await storedFiles()).toEqual(records.map((r) => r.storagePath).sort());
    expect(storedBy(a.lines).length).toBeGreaterThan(0);
    expect(storedBy(b.lines).length).toBeGreaterThan(0);
  }, 120_000);

  it('SIGTERM stops a worker in phases: its running job ends (here: a retry handed back to Redis) before it exits 0', async () => {
    for (const id of ALBUM_MEDIA_IDS) h.standin.setFault(id, 'hang', Infinity);
    const wamids = await postFresh('album-three-photos');
    const busy = (w: WorkerProcess) => w.lines.some((l) => l.msg === 'media processing' && wamids.includes(l.wamid ?? ''));
    const alive = workers.filter((w) => w.child.exitCode === null);
    await waitFor(() => alive.some(busy), () => 'a worker process to take one of the album photos');
    const stopping = alive.find(busy) as WorkerProcess;
    const exited = new Promise<number | null>((resolve) => stopping.child.once('exit', (code) => resolve(code)));
    stopping.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const held = stopping.lines.filter((l) => l.msg === 'media processing' && wamids.includes(l.wamid ?? '')).map((l) => l.wamid);
    const retried = stopping.lines.filter((l) => l.msg.startsWith('media will be retried')).map((l) => l.wamid);
    for (const wamid of held) expect(retried).toContain(wamid);
    h.standin.clearFaults();

    const records = await h.waitForFinal(wamids, 60_000);
    expect(records.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
  }, 120_000);

  it('a worker killed with SIGKILL mid-job loses nothing: its rows are taken again once their lease runs out', async () => {
    const before = (await allRows()).length;
    // Downloads hang until HTTP_TIMEOUT_MS while armed, so the doomed worker surely holds work when it dies.
    for (const id of [...ALBUM_MEDIA_IDS, ...VARIETY_MEDIA_IDS]) h.standin.setFault(id, 'hang', Infinity);
    const doomed = await startWorker({ LEASE_MS: '2000' });
    const wamids: string[] = [];
    for (let i = 0; i < 2; i++) wamids.push(...(await postFresh('album-three-photos')));
    wamids.push(...(await postFresh('variety-pack')));

    await waitFor(() => doomed.lines.some((l) => l.msg === 'media processing'), () => 'the doomed worker to claim a row');
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));
    const heldByDoomed = doomed.lines.filter((l) => l.msg === 'media processing').map((l) => l.wamid);
    expect(storedBy(doomed.lines)).toEqual([]);
    h.standin.clearFaults();

    const records = await h.waitForFinal(wamids, 90_000);
    expect(records.map((r) => r.status)).toEqual(Array(wamids.length).fill('stored'));
    // The rows it held went through the lease: claimed again by another process.
    for (const wamid of heldByDoomed) expect(records.find((r) => r.wamid === wamid)?.attempts).toBeGreaterThan(1);
    const rows = await allRows();
    expect(rows).toHaveLength(before + wamids.length);
    expect(rows.every((r) => r.status === 'stored')).toBe(true);
    expect(await storedFiles()).toEqual(rows.map((r) => r.storagePath).sort());
  }, 150_000);
});
