import { describe, expect, it } from 'vitest';
import { extractMedia } from '../../src/ingress/extract-media.ts';
import { envelopeSchema } from '../../src/ingress/webhook-payload.ts';
import { webhookFixtureJson } from '../support/fixtures.ts';

const extract = (name: string) => extractMedia(envelopeSchema.parse(webhookFixtureJson(name)));

describe('turning a webhook POST into media items', () => {
  it('keeps every photo of an album, each with its own wamid and media id, caption only on one', () => {
    const { media } = extract('album-three-photos');
    expect(media.map((m) => m.mediaId)).toEqual(['900000000000102', '900000000000103', '900000000000104']);
    expect(new Set(media.map((m) => m.wamid)).size).toBe(3);
    expect(media.map((m) => m.caption)).toEqual(['Fotos da entrega', undefined, undefined]);
    expect(media.map((m) => m.forwarded)).toEqual([false, true, false]);
    expect(media[0]?.messageTimestamp.toISOString()).toBe('2025-11-30T14:22:05.000Z');
  });

  // Regression: the reference read entry[0].changes[0].messages[0] only.
  it('walks every entry, change and message (mixed batch: statuses, then text + photo + voice note)', () => {
    const batch = extract('mixed-batch');
    expect(batch.media).toHaveLength(1);
    expect(batch.media[0]?.mediaId).toBe('900000000000109');
    expect(batch.ignored).toEqual({ status: 1, text: 1, audio: 1 });
  });

  it('acknowledges statuses without media', () => {
    const batch = extract('statuses-only');
    expect(batch.media).toHaveLength(0);
    expect(batch.ignored.status).toBeGreaterThan(0);
  });

  it('keeps a sender that has only a username-era user id', () => {
    const [item] = extract('username-sender').media;
    expect(item?.senderPhone).toBeUndefined();
    expect(item?.senderUserId).toBe('BR.5566778899001122');
  });

  it('keeps both phone and user id when both are present', () => {
    const [item] = extract('image-with-caption').media;
    expect(item?.senderPhone).toMatch(/^\d+$/);
    expect(item?.senderUserId).toMatch(/^[A-Z]{2}\./);
  });

  it('records Meta-side failures (131051 unsupported, 131052 not fetchable) as failed items with the code', () => {
    const [unsupported] = extract('unsupported').media;
    expect(unsupported?.metaError?.code).toBe('meta_131051');
    expect(unsupported?.mediaId).toBeUndefined();
    const [tooBig] = extract('media-not-fetchable-131052').media;
    expect(tooBig?.metaError?.code).toBe('meta_131052');
    expect(tooBig?.metaError?.message).toMatch(/larger than the supported limit/);
  });

  it('takes a photo sent as a document, but not a PDF document', () => {
    const [photoDoc] = extract('document-photo').media;
    expect(photoDoc?.kind).toBe('document');
    expect(photoDoc?.filename).toBeTruthy();
    const pdf = extract('document-pdf');
    expect(pdf.media).toHaveLength(0);
    expect(pdf.ignored.document_not_image).toBe(1);
  });

  it('takes static and animated stickers', () => {
    expect(extract('sticker-static').media[0]?.kind).toBe('sticker');
    expect(extract('sticker-animated').media[0]?.animated).toBe(true);
  });

  it('isolates one malformed message from its neighbours', () => {
    const envelope = envelopeSchema.parse(webhookFixtureJson('album-three-photos'));
    const messages = envelope.entry[0]?.changes[0]?.value?.messages as unknown[];
    messages.splice(1, 0, { type: 'image' }, 'garbage', { id: 'wamid.no-media', type: 'image', image: {} });
    const batch = extractMedia(envelope);
    expect(batch.invalid).toBe(2);
    expect(batch.media).toHaveLength(4);
    expect(batch.media.find((m) => m.wamid === 'wamid.no-media')?.metaError?.code).toBe('payload_media_missing');
  });
});
