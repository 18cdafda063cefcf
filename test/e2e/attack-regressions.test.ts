import net from 'node:net';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshFixture } from '../support/fixtures.ts';
import { startHarness, VERIFY_TOKEN, type Harness } from '../support/harness.ts';

// Findings of an attack on the running service; each test failed before its fix.
const lines: string[] = [];
let h: Harness;
let listener: Server;
let listenerUrl: string;
const seenAuthorization: string[] = [];

beforeAll(async () => {
  h = await startHarness({ LOG_LEVEL: 'info', WEBHOOK_REQUEST_TIMEOUT_MS: '1000' }, { logLines: lines });
  listener = createServer((request, response) => {
    seenAuthorization.push(request.headers.authorization ?? '');
    response.end('x');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => listener?.close(resolve));
});

function payloadWith(mutate: (message: Record<string, unknown>, index: number) => void) {
  const { body, wamids } = freshFixture('album-three-photos');
  const json = JSON.parse(body) as { entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[] };
  json.entry[0]?.changes[0]?.value.messages.forEach(mutate);
  return { body: JSON.stringify(json), wamids };
}

describe('attack regressions', () => {
  it('answers 401 to an unsigned POST before reading its body', async () => {
    const socket = net.connect(Number(new URL(h.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{');
    const answer = await new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(chunk.toString())));
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });

  it('drops a signed-looking POST whose body trickles in slower than the request timeout', async () => {
    const socket = net.connect(Number(new URL(h.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\nContent-Length: 100\r\n\r\n{`);
    const ended = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      setTimeout(() => resolve('still open'), 8000).unref();
    });
    socket.destroy();
    expect(ended).not.toBe('still open');
  });

  it('answers 403, not 500, to repeated hub.* parameters', async () => {
    const tokens = await fetch(`${h.url}/webhook?hub.mode=subscribe&hub.verify_token=a&hub.verify_token=b&hub.challenge=1`);
    expect(tokens.status).toBe(403);
    const challenges = await fetch(`${h.url}/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1&hub.challenge=2`);
    expect(challenges.status).toBe(403);
  });

  it('takes the admin token only as a Bearer token', async () => {
    const bare = await fetch(`${h.url}/admin/media`, { headers: { authorization: h.service.adminToken } });
    expect(bare.status).toBe(401);
    const bearer = await fetch(`${h.url}/admin/media`, { headers: { authorization: `Bearer ${h.service.adminToken}` } });
    expect(bearer.status).toBe(200);
  });

  it('accepts the good messages of a POST even when one carries a timestamp or sender no database takes', async () => {
    const { body, wamids } = payloadWith((message, i) => {
      if (i === 1) message.timestamp = '253402300800';
      if (i === 2) message.from = 'x'.repeat(10_000);
    });
    expect((await h.post(body)).status).toBe(200);
    const records = await h.waitForFinal(wamids);
    expect(records.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
  });

  it('counts a message with an absurd wamid as invalid, stores its neighbours, and logs no phone or caption', async () => {
    const { body, wamids } = payloadWith((message, i) => {
      message.from = '5511999887766';
      (message.image as Record<string, unknown>).caption = 'PRIVATE-CAPTION-Q1';
      if (i === 0) message.id = 'x'.repeat(400_000);
    });
    expect((await h.post(body)).status).toBe(200);
    expect((await h.waitForFinal(wamids.slice(1))).map((r) => r.status)).toEqual(['stored', 'stored']);
    expect(h.service.metrics.value('webhook_items_invalid_total')).toBeGreaterThan(0);
    const all = lines.join('\n');
    expect(all).not.toContain('5511999887766');
    expect(all).not.toContain('PRIVATE-CAPTION-Q1');
  });

  it('never sends the token to a payload URL on another port or over plain http', async () => {
    const { body, wamids } = payloadWith((message, i) => {
      if (i === 0) (message.image as Record<string, unknown>).url = `${listenerUrl}/steal`;
    });
    expect((await h.post(body)).status).toBe(200);
    const records = await h.waitForFinal(wamids);
    expect(records[0]?.status).toBe('stored'); // fell back to the Graph lookup
    expect(seenAuthorization).toEqual([]);
  });

  it('refuses media ids that are not ids instead of walking the Graph path', async () => {
    const { body, wamids } = payloadWith((message, i) => {
      if (i === 0) (message.image as Record<string, unknown>).id = '..';
      if (i === 1) (message.image as Record<string, unknown>).id = '.';
    });
    expect((await h.post(body)).status).toBe(200);
    const records = await h.waitForFinal(wamids);
    expect(records.slice(0, 2).map((r) => r.errorCode)).toEqual(['payload_media_id_invalid', 'payload_media_id_invalid']);
    expect(h.standin.requests().some((r) => r.path === '/' || /\/v\d+\.\d+\/?$/.test(r.path))).toBe(false);
  });

  it('handles a wamid with a NUL byte like any other (queued at once, no reconciler wait)', async () => {
    const { body } = payloadWith((message, i) => {
      if (i === 0) message.id = `wamid.nul\u0000byte${Date.now()}`;
    });
    expect((await h.post(body)).status).toBe(200);
    const rows = await h.service.catalog.list({ limit: 50 });
    const nul = rows.find((r) => r.wamid.startsWith('wamid.nul'));
    expect(nul).toBeDefined();
    expect((await h.waitForFinal([nul?.wamid ?? ''], 5000))[0]?.status).toBe('stored');
  });
});
