import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/ingress/signature.ts';
import { freshFixture, webhookFixture } from '../support/fixtures.ts';
import { APP_SECRET, startHarness, VERIFY_TOKEN, wamidsOf, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('GET /webhook handshake', () => {
  it('echoes the challenge byte for byte when the verify token matches', async () => {
    const challenge = '1158201444-ünïcode & spaces';
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': challenge });
    const response = await fetch(`${h.url}/webhook?${query}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(challenge);
  });

  it('answers 403 to a wrong token or mode', async () => {
    for (const [mode, token] of [['subscribe', 'nope'], ['unsubscribe', VERIFY_TOKEN]]) {
      const query = new URLSearchParams({ 'hub.mode': mode ?? '', 'hub.verify_token': token ?? '', 'hub.challenge': '42' });
      const response = await fetch(`${h.url}/webhook?${query}`);
      expect(response.status).toBe(403);
      expect(await response.text()).not.toContain('42');
    }
  });
});

describe('POST /webhook acceptance', () => {
  it('answers 401 without a signature header and stores nothing', async () => {
    const { body, wamids } = freshFixture('image-with-caption');
    expect((await h.post(body, null)).status).toBe(401);
    expect(await h.service.catalog.get(wamids[0] ?? '')).toBeUndefined();
  });

  it('answers 403 to a forged signature and stores nothing', async () => {
    const { body, wamids } = freshFixture('image-with-caption');
    expect((await h.post(body, signBody(body, 'attacker_secret'))).status).toBe(403);
    expect((await h.post(body, 'sha256=' + '0'.repeat(64))).status).toBe(403);
    expect(await h.service.catalog.get(wamids[0] ?? '')).toBeUndefined();
  });

  it('answers 400 to a correctly signed body that is not JSON, and 400 to JSON that is no envelope', async () => {
    expect((await h.post('{"object": "whatsapp_business_account", "entry": [')).status).toBe(400);
    expect((await h.post('[1,2,3]')).status).toBe(400);
    expect((await h.post('{"object":"whatsapp_business_account","entry":{"0":{}}}')).status).toBe(400);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(h.config.http.bodyLimitBytes + 10) });
    expect((await h.post(big)).status).toBe(413);
  });

  it('acknowledges a statuses-only POST with 200 and writes no row', async () => {
    const response = await h.postFixture('statuses-only');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ accepted: 0 });
  });

  it('has every row written by the time it answers 200 (durable accept)', async () => {
    const { body, wamids } = freshFixture('album-three-photos');
    const response = await h.post(body);
    expect(response.status).toBe(200);
    const rows = await Promise.all(wamids.map((w) => h.service.catalog.get(w)));
    expect(rows.every((r) => r !== undefined)).toBe(true);
    await h.waitForFinal(wamids);
  });

  it('keeps one row and one file per wamid when the same POST arrives 3 times in a row and 3 times at once', async () => {
    const { body, wamids } = freshFixture('album-three-photos');
    for (let i = 0; i < 3; i++) expect((await h.post(body)).status).toBe(200);
    const concurrent = await Promise.all([h.post(body), h.post(body), h.post(body)]);
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200]);
    const records = await h.waitForFinal(wamids);
    expect(records.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
    const all = await h.service.catalog.list({ limit: 1000 });
    for (const wamid of wamids) expect(all.filter((r) => r.wamid === wamid)).toHaveLength(1);
    const files = await listFiles(h.config.storage.localDir);
    for (const record of records) expect(files.filter((f) => f === record.storagePath)).toHaveLength(1);
  });

  it('counts a redelivery of the fixture with its original wamids as duplicates', async () => {
    const first = await h.postFixture('sticker-static');
    const again = await h.postFixture('sticker-static');
    expect(first.json).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(again.json).toMatchObject({ accepted: 0, duplicates: 1 });
    await h.waitForFinal(wamidsOf('sticker-static'));
  });

  it('never echoes the body of a rejected POST', async () => {
    const response = await h.post(webhookFixture('image-with-caption'), signBody('other', APP_SECRET));
    expect(JSON.stringify(response.json)).not.toContain('wamid');
  });
});

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}
