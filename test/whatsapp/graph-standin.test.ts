import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { createGraphMediaClient } from '../../src/whatsapp/graph-media-client.ts';
import { createGraphStandin, type GraphStandin, loadMediaMap } from '../../src/whatsapp/graph-standin.ts';

import { FIXTURES } from '../support/fixtures.ts';
const MEDIA_MAP = path.join(FIXTURES, 'webhooks/media-map.json');
const TOKEN = 'standin-test-token';

describe('loadMediaMap', () => {
  it('loads all 20 ids of the shared fixtures map, files resolved from the fixtures folder', async () => {
    const media = await loadMediaMap(MEDIA_MAP);
    expect(media.size).toBe(20);
    const rotated = media.get('900000000000101');
    expect(rotated?.mimeType).toBe('image/jpeg');
    expect(rotated?.bytes.equals(await readFile(path.join(FIXTURES, 'photos/landscape-orientation-6.jpg')))).toBe(true);
    expect(media.get('900000000000117')?.bytes.length).toBe(0);
    expect(media.get('900000000000120')?.fileName).toBe('html-instead-of-image.html');
  });

  it('resolves files next to the map first, and names what is missing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'media-map-'));
    try {
      await mkdir(path.join(dir, 'maps'));
      await writeFile(path.join(dir, 'maps', 'a.jpg'), 'next to the map');
      await writeFile(path.join(dir, 'a.jpg'), 'in the parent');
      await writeFile(path.join(dir, 'b.png'), 'only in the parent');
      const mapPath = path.join(dir, 'maps', 'media-map.json');
      await writeFile(mapPath, JSON.stringify({ '1': { file: 'a.jpg', mime_type: 'image/jpeg' }, '2': { file: 'b.png', mime_type: 'image/png' } }));
      const media = await loadMediaMap(mapPath);
      expect(media.get('1')?.bytes.toString()).toBe('next to the map');
      expect(media.get('2')?.bytes.toString()).toBe('only in the parent');

      await writeFile(mapPath, JSON.stringify({ '3': { file: 'missing.jpg', mime_type: 'image/jpeg' } }));
      await expect(loadMediaMap(mapPath)).rejects.toThrow(/missing\.jpg for media 3 not found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Graph stand-in (contract of the fake Meta Graph)', () => {
  let standin: GraphStandin;
  let baseUrl: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    standin = createGraphStandin({ accessToken: TOKEN, media: await loadMediaMap(MEDIA_MAP) });
    ({ baseUrl } = await standin.start());
  });

  afterAll(async () => {
    await standin.close();
  });

  it('answers a lookup in Graph shape with a signed URL to its own download route', async () => {
    const response = await fetch(`${baseUrl}/v24.0/900000000000102`, { headers: auth });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    const bytes = await readFile(path.join(FIXTURES, 'photos/landscape-orientation-1.jpg'));
    expect(body).toMatchObject({
      messaging_product: 'whatsapp',
      mime_type: 'image/jpeg',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      file_size: bytes.length,
      id: '900000000000102',
    });
    const url = new URL(String(body.url));
    expect(url.origin).toBe(baseUrl);
    expect([...url.searchParams.keys()].sort()).toEqual(['ext', 'hash', 'mid']);

    const download = await fetch(url, { headers: auth });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    expect((await fetch(url)).status).toBe(401);
    url.searchParams.set('hash', 'tampered');
    expect((await fetch(url, { headers: auth })).status).toBe(404);
  });

  it('answers an unknown id with HTTP 400 and Graph error 100/33', async () => {
    const response = await fetch(`${baseUrl}/v24.0/123`, { headers: auth });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect(typeof body.error.message).toBe('string');
    expect(typeof body.error.fbtrace_id).toBe('string');
  });

  it('answers a missing or wrong token with HTTP 401 and Graph error 190', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }]) {
      const response = await fetch(`${baseUrl}/v24.0/900000000000102`, { headers });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: number; type: string } }).error).toMatchObject({ code: 190, type: 'OAuthException' });
    }
    expect(standin.requests().some((r) => !r.authorized)).toBe(true);
  });

  it('expires download URLs after urlTtlMs (401, as lookaside does)', async () => {
    const expiring = createGraphStandin({ accessToken: TOKEN, media: await loadMediaMap(MEDIA_MAP), urlTtlMs: -1 });
    const { baseUrl: expiringUrl } = await expiring.start();
    try {
      const lookup = (await (await fetch(`${expiringUrl}/v24.0/900000000000102`, { headers: auth })).json()) as { url: string };
      expect((await fetch(lookup.url, { headers: auth })).status).toBe(401);
    } finally {
      await expiring.close();
    }
  });

  it('serves the bad fixtures so the client refuses them: .html as text/html, empty as empty', async () => {
    const client = createGraphMediaClient({
      baseUrl,
      version: 'v24.0',
      accessToken: TOKEN,
      phoneNumberId: undefined,
      allowedHosts: ['127.0.0.1'],
      userAgent: 'media-vault-test/1.0',
      timeoutMs: 5_000,
    });
    const codeOf = async (mediaId: string) => {
      try {
        await client.download({ mediaId, maxBytes: 5_000_000 });
        return 'ok';
      } catch (error) {
        return error instanceof PipelineError ? error.code : String(error);
      }
    };
    expect(await codeOf('900000000000120')).toBe('media_download_html');
    expect(await codeOf('900000000000117')).toBe('media_empty');
    expect(await codeOf('900000000000105')).toBe('ok');
    expect(standin.counters('900000000000105')).toEqual({ lookups: 1, downloads: 1 });
  });

  it('closes promptly while a hanging download is held open', async () => {
    const hanging = createGraphStandin({ accessToken: TOKEN, media: { '1': { bytes: Buffer.alloc(1000, 7), mimeType: 'image/jpeg' } } });
    const { baseUrl: hangingUrl } = await hanging.start();
    hanging.setFault('1', 'hang');
    const lookup = (await (await fetch(`${hangingUrl}/v24.0/1`, { headers: auth })).json()) as { url: string };
    const response = await fetch(lookup.url, { headers: auth });
    expect(response.status).toBe(200);
    const body = response.arrayBuffer().catch((error: unknown) => error);
    await hanging.close();
    expect(await body).toBeInstanceOf(Error);
  });

  it('rejects an unknown fault name and a non-positive count', () => {
    expect(() => standin.setFault('1', 'explode' as never)).toThrow(/Unknown stand-in fault/);
    expect(() => standin.setFault('1', 'html', 0)).toThrow(/times >= 1/);
  });
});
