import { signBody } from '../../src/ingress/signature.ts';
import { buildMediaWebhook, newWamid, webhookEnvelope } from '../../src/whatsapp/webhook-builder.ts';
import type { Photo } from './photos.ts';

export const APP_SECRET = 'bench_app_secret';
export const ACCESS_TOKEN = 'bench_access_token';
export const PHONE_NUMBER_ID = '100000000000001';
const FROM = '15551234567';

/** A webhook POST ready to send: body, its X-Hub-Signature-256, and the wamids it carries. */
export interface SignedPost {
  body: string;
  signature: string;
  wamids: string[];
}

/** One image message (unique wamid) for `mediaId`, signed as Meta signs it. */
export function mediaPost(mediaId: string, photo: Photo): SignedPost {
  const { body, wamids } = buildMediaWebhook([{ type: 'image', mediaId, bytes: photo.bytes, mimeType: photo.mimeType }], {
    from: FROM,
    phoneNumberId: PHONE_NUMBER_ID,
  });
  return { body, signature: signBody(body, APP_SECRET), wamids };
}

/**
 * Like mediaPost but reuses one body as a template: only the wamid (and the media id, when given) change,
 * so the sha256 of a large photo is computed once.
 */
export function mediaPostFactory(defaultMediaId: string, photo: Photo): (mediaId?: string) => SignedPost {
  const template = mediaPost(defaultMediaId, photo);
  const [first] = template.wamids;
  if (!first) throw new Error('buildMediaWebhook returned no wamid');
  return (mediaId = defaultMediaId) => {
    const wamid = newWamid();
    const body = template.body.replace(first, wamid).replace(`"id":"${defaultMediaId}"`, `"id":"${mediaId}"`);
    return { body, signature: signBody(body, APP_SECRET), wamids: [wamid] };
  };
}

/** A text message: signed, acknowledged, counted, no row and no work. The ack-latency reference. */
export function textPost(): SignedPost {
  const wamid = newWamid();
  const message = { from: FROM, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hello' } };
  const body = JSON.stringify(webhookEnvelope([message], { from: FROM, phoneNumberId: PHONE_NUMBER_ID, profileName: 'Bench Customer' }));
  return { body, signature: signBody(body, APP_SECRET), wamids: [] };
}

/** POSTs one signed webhook; resolves to the status and the time to the complete answer. */
export async function postWebhook(url: string, post: SignedPost): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': post.signature },
    body: post.body,
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}
