import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteCatalog } from '../../src/catalog/pglite-catalog.ts';
import { claimDataDir, writeServiceFile } from '../../src/start/service-file.ts';
import { media } from '../catalog/databases.ts';
import { fixturePath, freshFixture, webhookFixture } from '../support/fixtures.ts';
import { APP_SECRET, startHarness, type Harness } from '../support/harness.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Runs `media-vault …` as a user would, with only the given environment. */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/start/cli.ts', ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let emptyDir: string;
beforeAll(async () => {
  emptyDir = await mkdtemp(path.join(os.tmpdir(), 'mv-cli-'));
});
afterAll(async () => rm(emptyDir, { recursive: true, force: true }));

describe('media-vault serve refuses a useless configuration in one clear line', () => {
  it('without WHATSAPP_ACCESS_TOKEN and without the stand-in', async () => {
    const result = await cli(['serve'], { DATA_DIR: emptyDir, APP_SECRET: 'x' });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/WHATSAPP_ACCESS_TOKEN is not set.*GRAPH_STANDIN=true/);
  });

  it('names every bad variable at once', async () => {
    const result = await cli(['serve'], { DATA_DIR: emptyDir, PORT: '80a0', OUTPUT_FORMAT: 'png', MAX_IMAGE_EDGE: '-1' });
    expect(result.code).not.toBe(0);
    for (const name of ['PORT', 'OUTPUT_FORMAT', 'MAX_IMAGE_EDGE']) expect(result.stderr).toContain(name);
  });
});

describe('media-vault worker refuses what it cannot share, one line per problem', () => {
  it('without REDIS_URL, and with the embedded PGlite catalog', async () => {
    const result = await cli(['worker'], { DATA_DIR: emptyDir, GRAPH_STANDIN: 'true' });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/set REDIS_URL/);
    expect(lines[1]).toMatch(/set DATABASE_URL.*PGlite catalog belongs to one process/);
  });
});

describe('media-vault send and list against a running service', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await writeServiceFile(h.dataDir, { url: h.url, pid: process.pid, adminToken: h.service.adminToken });
  });
  afterAll(async () => h?.close());

  it('send signs fixtures as Meta does (escaped unicode) and the service accepts them', async () => {
    const files = ['image-with-caption', 'statuses-only'].map((name) => fixturePath(`webhooks/${name}.json`));
    const result = await cli(['send', ...files, '--url', `${h.url}/webhook`, '--secret', APP_SECRET]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^200 .*image-with-caption\.json/m);
    const wamid = (JSON.parse(webhookFixture('image-with-caption')) as { entry: { changes: { value: { messages: { id: string }[] } }[] }[] }).entry[0]?.changes[0]?.value.messages[0]?.id ?? '';
    expect((await h.waitForFinal([wamid]))[0]?.status).toBe('stored');
  });

  it('send exits non-zero when the service rejects the signature', async () => {
    const result = await cli(['send', fixturePath('webhooks/sticker-static.json'), '--url', `${h.url}/webhook`, '--secret', 'wrong']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^403 /m);
  });

  it('list reads through the running service (never opening its PGlite directory twice)', async () => {
    const result = await cli(['list', '--json'], { DATA_DIR: h.dataDir });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { status: string; senderPhone?: string }[];
    expect(rows.length).toBeGreaterThan(0);
    const table = await cli(['list', '--status', 'stored'], { DATA_DIR: h.dataDir });
    expect(table.stdout).toMatch(/message id\s+sender\s+status/);
    expect(table.stdout).toContain('stored');
    expect(table.stdout).not.toContain('5511987654321');
  });
});

describe('media-vault retry: photos that failed for a cause the operator fixed are tried again', () => {
  // image-with-caption's photo in the Graph stand-in.
  const MEDIA_ID = '900000000000101';
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await writeServiceFile(h.dataDir, { url: h.url, pid: process.pid, adminToken: h.service.adminToken });
  });
  afterAll(async () => h?.close());

  /** Sends a fixture with fresh wamids and waits until its first media row is final. */
  async function sendAndSettle(fixture: string) {
    const { body, wamids } = freshFixture(fixture);
    expect((await h.post(body)).status).toBe(200);
    const [record] = await h.waitForFinal(wamids.slice(0, 1));
    return record!;
  }

  it('refuses to run without --code, --wamid or --all, saying what to pass', async () => {
    const result = await cli(['retry'], { DATA_DIR: h.dataDir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--code C.*--wamid W.*--all/);
    expect(result.stdout).toBe('');
    const both = await cli(['retry', '--all', '--code', 'graph_token_invalid'], { DATA_DIR: h.dataDir });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--all retries every retryable failed row/);
  });

  it('after the token is fixed, --code graph_token_invalid takes the photo from failed to stored', async () => {
    h.standin.setFault(MEDIA_ID, 'graph-error-190', 1);
    const failed = await sendAndSettle('image-with-caption');
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'graph_token_invalid', attempts: 1 });

    const result = await cli(['retry', '--code', 'graph_token_invalid'], { DATA_DIR: h.dataDir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Requeued 1 failed row; the running service \(http:\/\/127\.0\.0\.1:\d+\) has started them\./);
    expect(result.stdout).toContain(failed.wamid);

    const [after] = await h.waitForFinal([failed.wamid]);
    expect(after).toMatchObject({ status: 'stored', attempts: 1, errorCode: undefined });
    expect(after?.storagePath).toMatch(/\.jpg$/);
  });

  it('--all requeues every retryable failed row but never one Meta failed (meta_131051)', async () => {
    const unsupported = await sendAndSettle('unsupported');
    expect(unsupported).toMatchObject({ status: 'failed', errorCode: 'meta_131051' });
    h.standin.setFault(MEDIA_ID, 'graph-error-190', 1);
    const failed = await sendAndSettle('image-with-caption');
    expect(failed.status).toBe('failed');

    const result = await cli(['retry', '--all'], { DATA_DIR: h.dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Requeued 1 failed row;/);
    expect(result.stdout).toContain(failed.wamid);
    expect(result.stdout).not.toContain(unsupported.wamid);
    expect((await h.waitForFinal([failed.wamid]))[0]?.status).toBe('stored');
    expect(await h.service.catalog.get(unsupported.wamid)).toMatchObject({ status: 'failed', errorCode: 'meta_131051', attempts: 0 });

    const byCode = await cli(['retry', '--code', 'meta_131051'], { DATA_DIR: h.dataDir });
    expect(byCode.code).toBe(0);
    expect(byCode.stderr).toMatch(/meta_131051 are never retried: Meta sent no media/);
    expect(byCode.stdout).toMatch(/^No failed row matched/);
    expect((await h.service.catalog.get(unsupported.wamid))?.status).toBe('failed');
  });
});

describe('media-vault retry without a running service', () => {
  it('requeues in the embedded catalog directly and says the next start picks the rows up', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mv-retry-'));
    try {
      const item = media();
      const catalog = await openPgliteCatalog(path.join(dir, 'catalog'));
      try {
        await catalog.accept([item]);
        await catalog.claim(item.wamid, 60_000);
        await catalog.markFailed(item.wamid, { code: 'supabase_bucket_missing', message: 'Bucket not found' });
      } finally {
        await catalog.close();
      }
      const result = await cli(['retry', '--wamid', item.wamid, 'wamid.unknown'], { DATA_DIR: dir });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Requeued 1 failed row in the catalog\. No service runs on DATA_DIR .*the next `media-vault serve`/);
      const reopened = await openPgliteCatalog(path.join(dir, 'catalog'));
      try {
        expect(await reopened.get(item.wamid)).toMatchObject({ status: 'received', attempts: 0, errorCode: 'supabase_bucket_missing' });
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('media-vault serve fails fast instead of hanging', () => {
  const env = (dataDir: string, port: string) => ({ DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', APP_SECRET: 'x', WHATSAPP_ACCESS_TOKEN: 't', LOG_LEVEL: 'error' });

  it('exits non-zero with one clear line when the port is taken', async () => {
    const h = await startHarness();
    try {
      const port = new URL(h.url).port;
      const result = await cli(['serve'], env(emptyDir, port));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/EADDRINUSE/);
    } finally {
      await h.close();
    }
  });

  it('refuses a second service on the same embedded catalog directory', async () => {
    const h = await startHarness();
    try {
      // The harness's in-process service stands for the first one: it claims the folder as `serve` does.
      expect(await claimDataDir(h.dataDir)).toBeUndefined();
      const result = await cli(['serve'], env(h.dataDir, '0'));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(new RegExp(`pid ${process.pid}.*already using DATA_DIR`));
    } finally {
      await h.close();
    }
  });
});

describe('data stays private on disk', () => {
  it('the demo leaves the catalog folder, the images and their folders readable by the owner only', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mv-perm-'));
    try {
      const result = await cli(['demo'], { DATA_DIR: dir });
      expect(result.code).toBe(0);
      // PGlite sets its own file modes, so its folder is what keeps others out; images are private themselves.
      expect((await stat(path.join(dir, 'demo', 'catalog'))).mode & 0o077).toBe(0);
      const media = path.join(dir, 'demo', 'media');
      const entries = await readdir(media, { recursive: true, withFileTypes: true });
      const paths = [media, ...entries.map((e) => path.join(e.parentPath, e.name))];
      expect(paths.length).toBeGreaterThan(10);
      for (const file of paths) expect((await stat(file)).mode & 0o077, file).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
