import type { AcceptedMedia, MediaKind } from '../catalog/media-record.ts';
import { messageSchema, type ChangeValue, type MediaObject, type WebhookEnvelope, type WebhookMessage } from './webhook-payload.ts';

export interface ExtractedBatch {
  media: AcceptedMedia[];
  /** What was acknowledged but not stored, by reason ("status", "text", "document_not_image", …). */
  ignored: Record<string, number>;
  /** Messages too malformed to key (no wamid): logged and counted, never silently dropped. */
  invalid: number;
}

/** Walks every entry × change × message (the old reference read only the first of each). */
export function extractMedia(envelope: WebhookEnvelope, receivedAt: Date = new Date()): ExtractedBatch {
  const batch: ExtractedBatch = { media: [], ignored: {}, invalid: 0 };
  const count = (reason: string, n = 1) => {
    if (n > 0) batch.ignored[reason] = (batch.ignored[reason] ?? 0) + n;
  };
  if (envelope.object !== 'whatsapp_business_account') {
    count(`object_${envelope.object}`);
    return batch;
  }
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      const value = change.value;
      if (!value || (change.field !== undefined && change.field !== 'messages')) {
        count(`field_${change.field ?? 'empty'}`);
        continue;
      }
      count('status', value.statuses?.length ?? 0);
      for (const raw of value.messages ?? []) {
        const parsed = messageSchema.safeParse(raw);
        if (!parsed.success) {
          batch.invalid += 1;
          continue;
        }
        const item = toAcceptedMedia(parsed.data, value, entry.id, receivedAt);
        if (typeof item === 'string') count(item);
        else batch.media.push(item);
      }
    }
  }
  return batch;
}

const MEDIA_KINDS = ['image', 'sticker', 'document'] as const;
type StorableKind = (typeof MEDIA_KINDS)[number];

/** An AcceptedMedia for a media message, or the reason it is not one. */
function toAcceptedMedia(
  message: WebhookMessage,
  value: ChangeValue,
  wabaId: string | undefined,
  receivedAt: Date,
): AcceptedMedia | string {
  const kind = storableKind(message);
  const errors = message.errors ?? [];
  if (kind === undefined && !(message.type === 'unsupported' && errors.length > 0)) return message.type;
  const media: MediaObject | undefined = kind ? message[kind] : undefined;
  if (kind === 'document' && media?.mime_type && !media.mime_type.toLowerCase().startsWith('image/')) {
    return 'document_not_image';
  }

  const metaErr = errors[0];
  let metaError: AcceptedMedia['metaError'];
  if (media?.id && !MEDIA_ID_PATTERN.test(media.id)) {
    // Graph media ids are digits; anything path-like (`..`, `/`) must never reach a Graph URL.
    metaError = { code: 'payload_media_id_invalid', message: `The media id ${JSON.stringify(clip(media.id, 40))} is not a Graph media id.` };
  } else if (!media?.id) {
    metaError = metaErr
      ? {
          code: `meta_${metaErr.code}`,
          message: [metaErr.title, metaErr.error_data?.details].filter(Boolean).join(': ') || 'Meta reported an error',
        }
      : { code: 'payload_media_missing', message: `The ${message.type} message carries no media id.` };
  }

  const sender = senderOf(message, value);
  // Every text is bounded and cleaned here, so no field of one message can make the catalog refuse the
  // whole POST (index rows have a size limit; Postgres text cannot hold NUL).
  return {
    wamid: message.id,
    kind: (kind ?? 'unsupported') satisfies MediaKind,
    mediaId: metaError ? undefined : media?.id,
    announcedMimeType: clip(media?.mime_type, 255),
    announcedSha256: clip(media?.sha256, 128),
    mediaUrl: clip(media?.url, 2048),
    caption: clip(media?.caption, 4096),
    filename: clip(media?.filename, 1024),
    animated: media?.animated,
    forwarded: Boolean(message.context?.forwarded || message.context?.frequently_forwarded),
    senderPhone: clip(sender.phone, 64),
    senderUserId: clip(sender.userId, 128),
    phoneNumberId: clip(value.metadata?.phone_number_id, 64),
    wabaId: clip(wabaId, 64),
    messageTimestamp: parseUnixSeconds(message.timestamp) ?? receivedAt,
    metaError,
  };
}

function storableKind(message: WebhookMessage): StorableKind | undefined {
  return MEDIA_KINDS.find((kind) => kind === message.type);
}

// Usernames (2026): a sender may have no phone number at all; the business-scoped user id is then the identity.
function senderOf(message: WebhookMessage, value: ChangeValue): { phone?: string; userId?: string } {
  const contact = value.contacts?.find(
    (c) => (message.from && c.wa_id === message.from) || (message.from_user_id && c.user_id === message.from_user_id),
  );
  return {
    phone: message.from ?? contact?.wa_id,
    userId: message.from_user_id ?? contact?.user_id,
  };
}

const MEDIA_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
// Unix seconds from 2009 (WhatsApp's birth) to 2100: anything else is not a real send time.
const TIMESTAMP_RANGE = [1_230_768_000, 4_102_444_800] as const;

function parseUnixSeconds(text: string | undefined): Date | undefined {
  if (!text || !/^\d{1,12}$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds >= TIMESTAMP_RANGE[0] && seconds <= TIMESTAMP_RANGE[1] ? new Date(seconds * 1000) : undefined;
}

function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replaceAll('\u0000', '\uFFFD');
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}
