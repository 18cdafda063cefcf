import { z } from 'zod';

// Loose on purpose: Meta adds fields over time, and one odd message must not sink its neighbours, so the
// envelope is checked here and each message is checked on its own in extract-media.ts.

const metaError = z.looseObject({
  code: z.union([z.number(), z.string()]),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});
export type MetaError = z.infer<typeof metaError>;

const contact = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
});

const mediaObject = z.looseObject({
  id: z.string().min(1).optional(),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  url: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  animated: z.boolean().optional(),
});
export type MediaObject = z.infer<typeof mediaObject>;

export const messageSchema = z.looseObject({
  // A wamid is ~60 characters; a cap keeps the unique index (and the row) storable. NUL cannot be stored.
  id: z.string().min(1).max(512).transform((id) => id.replaceAll('\u0000', '\uFFFD')),
  type: z.string().min(1),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  timestamp: z.string().optional(),
  context: z
    .looseObject({ forwarded: z.boolean().optional(), frequently_forwarded: z.boolean().optional() })
    .optional(),
  image: mediaObject.optional(),
  sticker: mediaObject.optional(),
  document: mediaObject.optional(),
  errors: z.array(metaError).optional(),
});
export type WebhookMessage = z.infer<typeof messageSchema>;

const changeValue = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: z.looseObject({ phone_number_id: z.string().optional() }).optional(),
  contacts: z.array(contact).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});
export type ChangeValue = z.infer<typeof changeValue>;

export const envelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      changes: z.array(z.looseObject({ field: z.string().optional(), value: changeValue.optional() })).default([]),
    }),
  ),
});
export type WebhookEnvelope = z.infer<typeof envelopeSchema>;
