import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/shared/pipeline-error.ts';
import { createGraphMediaClient, type GraphMediaClientOptions } from '../../src/whatsapp/graph-media-client.ts';
import { createGraphStandin, type GraphStandin } from '../../src/whatsapp/graph-standin.ts';

import { FIXTURES } from '../support/fixtures.ts';
const TOKEN = 'EAAGtest-access-token-0123456789';
const USER_AGENT = 'media-vault-test/1.0 (+graph-client-suite)';
const MAX = 5 * 1024 * 1024;

let standin: GraphStandin;
let baseUrl: string;
let photo: Buffer;
let nextId = 1000;

/** Each test gets its own media id, so faults and counters never leak between tests. */
function addPhoto(bytes: Buffer = photo, mimeType = 'image/jpeg'): string {
  const id = String((nextId += 1));
  standin.addMedia(id, { bytes, mimeType });
  return id;
}

function client(overrides: Partial<GraphMediaClientOptions> = {}) {
  return createGraphMediaClient({
    baseUrl,
    version: 'v24.0',
    accessToken: TOKEN,
    phoneNumberId: '106540352242922',
    allowedHosts: ['127.0.0.1'],
    userAgent: USER_AGENT,
    timeoutMs: 5_000,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineError);
    const pipelineError = error as PipelineError;
    expect(pipelineError.message).not.toContain(TOKEN);
    return pipelineError;
  }
  throw new Error('expected the download to fail');
}

const sha = (bytes: Buffer, encoding: 'hex' | 'base64') => createHash('sha256').update(bytes).digest(encoding);

beforeAll(async () => {
  photo = await readFile(path.join(FIXTURES, 'photos/landscape-orientation-1.jpg'));
  standin = createGraphStandin({ accessToken: TOKEN, media: new Map() });
  ({ baseUrl } = await standin.start());
});

afterAll(async () => {
  await standin.close();
});

describe('Graph media client against the Graph stand-in', () => {
  it('returns the exact bytes and accepts the webhook sha256 as base64 or hex', async () => {
    const id = addPhoto();
    const viaBase64 = await client().download({ mediaId: id, maxBytes: MAX, expectedSha256: sha(photo, 'base64') });
    expect(viaBase64.bytes.equals(photo)).toBe(true);
    expect(viaBase64.mimeType).toBe('image/jpeg');
    const viaHex = await client().download({ mediaId: id, maxBytes: MAX, expectedSha256: sha(photo, 'hex') });
    expect(viaHex.bytes.equals(photo)).toBe(true);
    expect(standin.counters(id)).toEqual({ lookups: 2, downloads: 2 });
  });

  it('sends the Bearer token, an explicit User-Agent and phone_number_id on lookup and download', async () => {
    const id = addPhoto();
    await client().download({ mediaId: id, maxBytes: MAX });
    const seen = standin.requests().filter((r) => r.path === `/v24.0/${id}` || r.path === '/whatsapp_business/attachments/');
    const lookup = seen.find((r) => r.path === `/v24.0/${id}`);
    expect(lookup).toMatchObject({ method: 'GET', authorized: true, userAgent: USER_AGENT, phoneNumberId: '106540352242922' });
    const downloads = seen.filter((r) => r.path === '/whatsapp_business/attachments/');
    expect(downloads.length).toBeGreaterThan(0);
    for (const download of downloads) expect(download).toMatchObject({ authorized: true, userAgent: USER_AGENT });
  });

  it('omits phone_number_id when none is configured', async () => {
    const id = addPhoto();
    await client({ phoneNumberId: undefined }).download({ mediaId: id, maxBytes: MAX });
    const lookup = standin.requests().find((r) => r.path === `/v24.0/${id}`);
    expect(lookup?.phoneNumberId).toBeUndefined();
  });

  it('classifies a lookup 500 as retryable, and the next call succeeds (no looping inside the client)', async () => {
    const id = addPhoto();
    standin.setFault(id, 'lookup-500');
    const error = await failure(client().download({ mediaId: id, maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'graph_unavailable', retryable: true });
    expect(standin.counters(id)).toEqual({ lookups: 1, downloads: 0 });
    const ok = await client().download({ mediaId: id, maxBytes: MAX });
    expect(ok.bytes.equals(photo)).toBe(true);
  });

  it('classifies a lookup 429 as retryable graph_unavailable', async () => {
    const id = addPhoto();
    standin.setFault(id, 'lookup-429');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({ code: 'graph_unavailable', retryable: true });
  });

  it('re-looks-up once when the download URL has expired (401) and succeeds in one call', async () => {
    const id = addPhoto();
    standin.setFault(id, 'download-expired-401');
    const result = await client().download({ mediaId: id, maxBytes: MAX, expectedSha256: sha(photo, 'base64') });
    expect(result.bytes.equals(photo)).toBe(true);
    expect(standin.counters(id)).toEqual({ lookups: 2, downloads: 2 });
  });

  it('re-looks-up once on a download 404 as well', async () => {
    const id = addPhoto();
    standin.setFault(id, 'download-404');
    expect((await client().download({ mediaId: id, maxBytes: MAX })).bytes.equals(photo)).toBe(true);
    expect(standin.counters(id)).toEqual({ lookups: 2, downloads: 2 });
  });

  it('gets a new URL only once: a download that keeps answering 401 fails permanently', async () => {
    const id = addPhoto();
    standin.setFault(id, 'download-expired-401', 5);
    const error = await failure(client().download({ mediaId: id, maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'graph_request_rejected', retryable: false });
    expect(standin.counters(id)).toEqual({ lookups: 2, downloads: 2 });
  });

  it('classifies a download 500 as retryable media_download_failed', async () => {
    const id = addPhoto();
    standin.setFault(id, 'download-500');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({
      code: 'media_download_failed',
      retryable: true,
    });
  });

  it('refuses an HTML page served with 200 as media_download_html', async () => {
    const id = addPhoto();
    standin.setFault(id, 'html');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({
      code: 'media_download_html',
      retryable: false,
    });
  });

  it('ends a hanging download (headers and half the body, then nothing) as retryable graph_timeout', async () => {
    const id = addPhoto();
    standin.setFault(id, 'hang');
    const started = performance.now();
    const error = await failure(client({ timeoutMs: 300 }).download({ mediaId: id, maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'graph_timeout', retryable: true });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses bytes that do not match the sha256 (webhook or lookup) as media_checksum_mismatch', async () => {
    const id = addPhoto();
    standin.setFault(id, 'wrong-bytes', 2);
    const withWebhookSha = await failure(client().download({ mediaId: id, maxBytes: MAX, expectedSha256: sha(photo, 'base64') }));
    expect(withWebhookSha).toMatchObject({ code: 'media_checksum_mismatch', retryable: false });
    const lookupShaOnly = await failure(client().download({ mediaId: id, maxBytes: MAX }));
    expect(lookupShaOnly).toMatchObject({ code: 'media_checksum_mismatch', retryable: false });
  });

  it('refuses a webhook sha256 of other bytes even when the lookup agrees with the download', async () => {
    const id = addPhoto();
    const other = sha(Buffer.from('other bytes'), 'hex');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX, expectedSha256: other }))).toMatchObject({
      code: 'media_checksum_mismatch',
    });
  });

  it('refuses an announced size over the limit before downloading anything', async () => {
    const id = addPhoto();
    standin.setFault(id, 'oversize-announced');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({ code: 'media_too_large', retryable: false });
    expect(standin.counters(id).downloads).toBe(0);
  });

  it('refuses a file larger than maxBytes as media_too_large', async () => {
    const id = addPhoto();
    expect(await failure(client().download({ mediaId: id, maxBytes: photo.length - 1 }))).toMatchObject({ code: 'media_too_large' });
  });

  it('counts bytes while streaming and aborts an endless body without Content-Length once over maxBytes', async () => {
    // A host that announces no size anywhere and never stops sending: only counting can stop it.
    let aborted = false;
    const endless = createServer((request, response) => {
      if (request.url?.startsWith('/v24.0/')) {
        const { port } = endless.address() as AddressInfo;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ messaging_product: 'whatsapp', url: `http://127.0.0.1:${port}/stream`, id: '7' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(16 * 1024, 1);
      const timer = setInterval(() => response.write(chunk), 1);
      response.on('close', () => {
        aborted = true;
        clearInterval(timer);
      });
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = endless.address() as AddressInfo;
      const error = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).download({ mediaId: '7', maxBytes: 100_000 }));
      expect(error).toMatchObject({ code: 'media_too_large', retryable: false });
      await expect.poll(() => aborted).toBe(true);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('maps an unknown media id (Graph code 100) to permanent graph_media_not_found', async () => {
    const error = await failure(client().download({ mediaId: '424242424242', maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'graph_media_not_found', retryable: false });
    expect(error.message).toContain('424242424242');
  });

  it('maps a Graph error 100 fault on a known id to graph_media_not_found', async () => {
    const id = addPhoto();
    standin.setFault(id, 'graph-error-100');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({ code: 'graph_media_not_found' });
  });

  it('maps a bad token (Graph code 190) to permanent graph_token_invalid without echoing any token', async () => {
    const id = addPhoto();
    const badToken = 'EAAGwrong-token-9876543210';
    const error = await failure(client({ accessToken: badToken }).download({ mediaId: id, maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'graph_token_invalid', retryable: false });
    expect(error.message).not.toContain(badToken);
    standin.setFault(id, 'graph-error-190');
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({ code: 'graph_token_invalid' });
  });

  it('refuses a redirect to a host outside the allow-list without fetching it', async () => {
    const id = addPhoto();
    standin.setFault(id, 'redirect-offsite');
    const error = await failure(client().download({ mediaId: id, maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'media_host_not_allowed', retryable: false });
    expect(error.message).toContain('offsite.example.invalid');
  });

  it('refuses a Graph base URL whose host is not allowed, before sending anything', async () => {
    const id = addPhoto();
    const error = await failure(client({ allowedHosts: ['graph.facebook.com', 'lookaside.fbsbx.com'] }).download({ mediaId: id, maxBytes: MAX }));
    expect(error.code).toBe('media_host_not_allowed');
    expect(standin.counters(id)).toEqual({ lookups: 0, downloads: 0 });
  });

  it('refuses a zero-length download as media_empty', async () => {
    const id = addPhoto(Buffer.alloc(0));
    expect(await failure(client().download({ mediaId: id, maxBytes: MAX }))).toMatchObject({ code: 'media_empty', retryable: false });
  });

  it('uses a payload media URL first, and falls back to the lookup when it fails', async () => {
    const id = addPhoto();
    const lookup = (await (await fetch(`${baseUrl}/v24.0/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { url: string };
    const direct = await client().download({ mediaId: id, maxBytes: MAX, mediaUrl: lookup.url, expectedSha256: sha(photo, 'base64') });
    expect(direct.bytes.equals(photo)).toBe(true);
    expect(standin.counters(id)).toEqual({ lookups: 1, downloads: 1 });

    const stale = `${baseUrl}/whatsapp_business/attachments/?mid=${id}&ext=1&hash=forged`;
    const fallback = await client().download({ mediaId: id, maxBytes: MAX, mediaUrl: stale });
    expect(fallback.bytes.equals(photo)).toBe(true);
    expect(standin.counters(id).lookups).toBe(2);

    const offsite = await client().download({ mediaId: id, maxBytes: MAX, mediaUrl: 'https://evil.example.com/x.jpg' });
    expect(offsite.bytes.equals(photo)).toBe(true);
  });

  it('classifies a refused connection as retryable graph_network_error', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).download({ mediaId: '1', maxBytes: MAX }));
    expect(error).toMatchObject({ code: 'graph_network_error', retryable: true });
  });
});
