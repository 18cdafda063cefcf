import { createHash, randomBytes } from 'node:crypto';

export interface OutgoingMedia {
  type: 'image' | 'sticker' | 'document';
  mediaId: string;
  bytes: Buffer;
  mimeType: string;
  caption?: string | undefined;
  filename?: string | undefined;
}

export interface BuildOptions {
  from: string;
  phoneNumberId: string;
  /** Unix seconds; album photos share one. */
  timestamp?: number | undefined;
  profileName?: string | undefined;
}

/** A webhook body in Meta's documented shape, one message per media item (as albums arrive). */
export function buildMediaWebhook(items: readonly OutgoingMedia[], options: BuildOptions): { body: string; wamids: string[] } {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const wamids = items.map(() => newWamid());
  const messages = items.map((item, i) => ({
    from: options.from,
    id: wamids[i],
    timestamp,
    type: item.type,
    [item.type]: {
      id: item.mediaId,
      mime_type: item.mimeType,
      sha256: createHash('sha256').update(item.bytes).digest('base64'),
      ...(item.caption ? { caption: item.caption } : {}),
      ...(item.filename ? { filename: item.filename } : {}),
      ...(item.type === 'sticker' ? { animated: false } : {}),
    },
  }));
  return { body: JSON.stringify(webhookEnvelope(messages, options)), wamids };
}

/** Meta's envelope around messages of one business number: one entry, one change, one contact. */
export function webhookEnvelope(messages: readonly unknown[], options: BuildOptions): object {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '100000000000000',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: options.phoneNumberId },
              contacts: [{ profile: { name: options.profileName ?? 'Demo Customer' }, wa_id: options.from }],
              messages,
            },
          },
        ],
      },
    ],
  };
}

export function newWamid(): string {
  return `wamid.${randomBytes(24).toString('base64')}`;
}
