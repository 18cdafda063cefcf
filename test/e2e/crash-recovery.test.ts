import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRecord } from '../../src/catalog/media-record.ts';
import { openPgliteCatalog } from '../../src/catalog/pglite-catalog.ts';
import { signBody } from '../../src/ingress/signature.ts';
import { createGraphStandin, loadMediaMap, type GraphStandin } from '../../src/whatsapp/graph-standin.ts';
import { fixturePath, freshFixture } from '../support/fixtures.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SECRET = 'crash_secret';
const TOKEN = 'crash_token';

let standin: GraphStandin;
let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mv-crash-'));
  standin = createGraphStandin({ accessToken: TOKEN, media: await loadMediaMap(fixturePath('webhooks/media-map.json')) });
  await standin.start();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await standin?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function startServe(): ChildProcess {
  const child = spawn(process.execPath, ['src/start/cli.ts', 'serve'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      APP_SECRET: SECRET,
      GRAPH_API_BASE_URL: standin.baseUrl,
      WORKER_CONCURRENCY: '1',
      HTTP_TIMEOUT_MS: '3000',
      RETRY_BASE_MS: '20',
      RETRY_MAX_MS: '50',
      LEASE_MS: '1000',
      RECONCILE_INTERVAL_MS: '200',
    },
  });
  children.push(child);
  return child;
}

/** The running child's URL and admin token, from the service file it writes once it listens. */
async function serviceInfo(child: ChildProcess): Promise<{ url: string; adminToken: string }> {
  for (let i = 0; i < 300; i++) {
    try {
      const info = JSON.parse(await readFile(path.join(dataDir, 'service.json'), 'utf8')) as { url: string; adminToken: string; pid: number };
      if (info.pid === child.pid) return info;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the service did not start');
}

describe('crash recovery', () => {
  it('a process killed with SIGKILL mid-way loses nothing: the next process stores every accepted photo', async () => {
    // Hold each first download so the work is surely in flight when the process dies.
    for (const id of ['900000000000102', '900000000000103', '900000000000104']) standin.setFault(id, 'hang', 1);
    const first = startServe();
    const { url } = await serviceInfo(first);
    const wamids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { body, wamids: sent } = freshFixture('album-three-photos');
      const response = await fetch(`${url}/webhook`, { method: 'POST', headers: { 'x-hub-signature-256': signBody(body, SECRET), 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
      wamids.push(...sent);
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    const catalog = await openPgliteCatalog(path.join(dataDir, 'catalog'));
    const afterCrash = await catalog.list({ limit: 100 });
    await catalog.close();
    expect(afterCrash).toHaveLength(12);
    expect(afterCrash.filter((r) => r.status === 'stored').length).toBeLessThan(12);

    const second = startServe();
    const { url: secondUrl, adminToken } = await serviceInfo(second);
    let records: MediaRecord[] = [];
    for (let i = 0; i < 400; i++) {
      const response = await fetch(`${secondUrl}/admin/media?limit=100`, { headers: { authorization: `Bearer ${adminToken}` } });
      records = ((await response.json()) as { items: MediaRecord[] }).items;
      if (records.length === 12 && records.every((r) => r.status === 'stored')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(records.map((r) => r.status)).toEqual(Array(12).fill('stored'));
    expect(new Set(records.map((r) => r.wamid))).toEqual(new Set(wamids));
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
  }, 90_000);
});
