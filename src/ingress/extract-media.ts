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
  if (!media?.id) {
    metaError = metaErr
      ? {
          code: `meta_${metaErr.code}`,
          message: [metaErr.title, metaErr.error_data?.details].filter(Boolean).join(': ') || 'Meta reported an error',
        }
      : { code: 'payload_media_missing', message: `The ${message.type} message carries no media id.` };
  }

  const sender = senderOf(message, value);
  return {
    wamid: message.id,
    kind: (kind ?? 'unsupported') satisfies MediaKind,
    mediaId: media?.id,
    announcedMimeType: media?.mime_type,
    announcedSha256: media?.sha256,
    mediaUrl: media?.url,
    caption: media?.caption,
    filename: media?.filename,
    animated: media?.animated,
    forwarded: Boolean(message.context?.forwarded || message.context?.frequently_forwarded),
    senderPhone: sender.phone,
    senderUserId: sender.userId,
    phoneNumberId: value.metadata?.phone_number_id,
    wabaId,
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

function parseUnixSeconds(text: string | undefined): Date | undefined {
  if (!text || !/^\d{1,12}$/.test(text)) return undefined;
  return new Date(Number(text) * 1000);
}
