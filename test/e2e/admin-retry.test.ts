import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshFixture } from '../support/fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';

// image-with-caption's photo in the Graph stand-in.
const MEDIA_ID = '900000000000101';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

/** token null sends no Authorization header. */
async function retry(body: unknown, token: string | null = h.service.adminToken) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${h.url}/admin/retry`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function failedPhoto(fault: 'graph-error-190' | 'graph-error-100') {
  h.standin.setFault(MEDIA_ID, fault, 1);
  const { body, wamids } = freshFixture('image-with-caption');
  expect((await h.post(body)).status).toBe(200);
  const [record] = await h.waitForFinal(wamids);
  expect(record?.status).toBe('failed');
  return record!;
}

describe('POST /admin/retry', () => {
  it('takes the admin token only as a Bearer token', async () => {
    expect((await retry({ all: true }, null)).status).toBe(401);
    expect((await retry({ all: true }, 'wrong')).status).toBe(401);
    const bare = await fetch(`${h.url}/admin/retry`, {
      method: 'POST', headers: { authorization: h.service.adminToken, 'content-type': 'application/json' }, body: '{"all":true}',
    });
    expect(bare.status).toBe(401);
  });

  it('refuses a body that does not say which rows, or says it twice, or names unknown fields', async () => {
    for (const body of [{}, { codes: [] }, { all: false }, { all: true, codes: ['graph_token_invalid'] }, { code: ['graph_token_invalid'] }, { codes: ['a b'] }]) {
      const answer = await retry(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error).toBe('bad_body');
    }
    const noBody = await fetch(`${h.url}/admin/retry`, { method: 'POST', headers: { authorization: `Bearer ${h.service.adminToken}` } });
    expect(noBody.status).toBe(400);
  });

  it('requeues by code or wamid, starts the rows at once, and answers with what it moved', async () => {
    const token = await failedPhoto('graph-error-190');
    const notFound = await failedPhoto('graph-error-100');
    expect(token.errorCode).toBe('graph_token_invalid');

    const byCode = await retry({ codes: ['graph_token_invalid'] });
    expect(byCode).toEqual({ status: 200, json: { requeued: 1, wamids: [token.wamid] } });
    expect((await h.waitForFinal([token.wamid]))[0]).toMatchObject({ status: 'stored', attempts: 1 });
    expect(await h.service.catalog.get(notFound.wamid)).toMatchObject({ status: 'failed', errorCode: 'graph_media_not_found' });

    expect(await retry({ wamids: [notFound.wamid, token.wamid] })).toEqual({ status: 200, json: { requeued: 1, wamids: [notFound.wamid] } });
    expect((await h.waitForFinal([notFound.wamid]))[0]).toMatchObject({ status: 'stored', attempts: 1 });
    expect(h.service.metrics.value('media_requeued_total')).toBe(2);
    expect(await retry({ all: true })).toEqual({ status: 200, json: { requeued: 0, wamids: [] } });
  });
});
