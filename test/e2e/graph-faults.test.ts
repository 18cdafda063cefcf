import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandinFault } from '../../src/whatsapp/graph-standin.ts';
import { freshFixture } from '../support/fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';

// image-with-caption's photo; each test arms a fault on it, then sends the fixture with fresh wamids.
const MEDIA_ID = '900000000000101';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HTTP_TIMEOUT_MS: '400', MAX_ATTEMPTS: '3' });
});
afterAll(async () => h?.close());

async function sendWithFault(fault: StandinFault | undefined, times = 1) {
  h.standin.clearFaults();
  if (fault) h.standin.setFault(MEDIA_ID, fault, times);
  const { body, wamids } = freshFixture('image-with-caption');
  expect((await h.post(body)).status).toBe(200);
  const [record] = await h.waitForFinal(wamids);
  return record;
}

describe('Graph faults end as the retry rules say', () => {
  it('a 5xx on the lookup is retried and the photo is stored on the next attempt', async () => {
    const record = await sendWithFault('lookup-500');
    expect(record).toMatchObject({ status: 'stored', attempts: 2 });
  });

  it('429 from Graph is transient too', async () => {
    expect(await sendWithFault('lookup-429')).toMatchObject({ status: 'stored', attempts: 2 });
  });

  it('a 5xx on the download is retried', async () => {
    expect(await sendWithFault('download-500')).toMatchObject({ status: 'stored', attempts: 2 });
  });

  it('an expired download URL (401) gets a fresh URL within the same attempt', async () => {
    expect(await sendWithFault('download-expired-401')).toMatchObject({ status: 'stored', attempts: 1 });
  });

  it('a download that hangs past the timeout is retried, and gives up with a clear reason after MAX_ATTEMPTS', async () => {
    expect(await sendWithFault('hang', 1)).toMatchObject({ status: 'stored', attempts: 2 });
    const gaveUp = await sendWithFault('hang', 10);
    expect(gaveUp).toMatchObject({ status: 'failed', errorCode: 'graph_timeout', attempts: 3 });
    expect(gaveUp?.errorMessage).toMatch(/gave up after 3 attempts/);
  });

  it('an HTML page instead of the image fails at once', async () => {
    expect(await sendWithFault('html')).toMatchObject({ status: 'failed', errorCode: 'media_download_html', attempts: 1 });
  });

  it('bytes that do not match the payload sha256 fail at once', async () => {
    expect(await sendWithFault('wrong-bytes')).toMatchObject({ status: 'failed', errorCode: 'media_checksum_mismatch', attempts: 1 });
  });

  it('an announced size over the cap fails before downloading', async () => {
    expect(await sendWithFault('oversize-announced')).toMatchObject({ status: 'failed', errorCode: 'media_too_large', attempts: 1 });
  });

  it('Graph error 100 (expired or unknown media id) and 190 (bad token) are permanent', async () => {
    expect(await sendWithFault('graph-error-100')).toMatchObject({ status: 'failed', errorCode: 'graph_media_not_found', attempts: 1 });
    expect(await sendWithFault('graph-error-190')).toMatchObject({ status: 'failed', errorCode: 'graph_token_invalid', attempts: 1 });
  });

  it('a redirect off the allow-list is refused', async () => {
    expect(await sendWithFault('redirect-offsite')).toMatchObject({ status: 'failed', errorCode: 'media_host_not_allowed' });
  });

  it('every request to Graph carried the Bearer token and an explicit User-Agent', async () => {
    await sendWithFault(undefined);
    const requests = h.standin.requests();
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.authorized).toBe(true);
      expect(request.userAgent).toMatch(/^whatsapp-media-vault\//);
    }
  });
});
