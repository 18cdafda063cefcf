import type { MediaKind, MediaRecord, MediaStatus } from './media-record.ts';

/** A row of image_metadata as a driver returns it. */
export type Row = Record<string, unknown>;

/** Row → MediaRecord: NULL becomes undefined, int8 and timestamps become numbers and Dates whatever the driver gave. */
export function toRecord(row: Row): MediaRecord {
  return {
    id: String(row.id),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    wamid: String(row.wamid),
    status: row.status as MediaStatus,
    kind: row.media_kind as MediaKind,
    mediaId: optionalText(row.media_id),
    announcedMimeType: optionalText(row.announced_mime_type),
    announcedSha256: optionalText(row.announced_sha256),
    mediaUrl: optionalText(row.media_url),
    caption: optionalText(row.original_caption),
    filename: optionalText(row.filename),
    animated: row.animated === null || row.animated === undefined ? undefined : Boolean(row.animated),
    forwarded: Boolean(row.forwarded),
    senderPhone: optionalText(row.sender_phone),
    senderUserId: optionalText(row.sender_user_id),
    phoneNumberId: optionalText(row.phone_number_id),
    wabaId: optionalText(row.waba_id),
    messageTimestamp: date(row.message_timestamp),
    storagePath: optionalText(row.storage_path),
    mimeType: optionalText(row.mime_type),
    fileSizeKb: optionalNumber(row.file_size_kb),
    byteSize: optionalNumber(row.byte_size),
    width: optionalNumber(row.width),
    height: optionalNumber(row.height),
    contentSha256: optionalText(row.content_sha256),
    originalMimeType: optionalText(row.original_mime_type),
    originalPath: optionalText(row.original_path),
    storedAt: optionalDate(row.stored_at),
    attempts: optionalNumber(row.attempts) ?? 0,
    leaseUntil: optionalDate(row.lease_until),
    nextAttemptAt: optionalDate(row.next_attempt_at),
    errorCode: optionalText(row.error_code),
    errorMessage: optionalText(row.error_message),
  };
}

function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

// Drivers differ: int8 may come back as number, bigint or string depending on adapter settings.
function optionalNumber(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`Expected a number from the database, got ${String(value)}`);
  return n;
}

export function optionalDate(value: unknown): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value as string);
  if (Number.isNaN(d.getTime())) throw new TypeError(`Expected a timestamp from the database, got ${String(value)}`);
  return d;
}

function date(value: unknown): Date {
  const d = optionalDate(value);
  if (d === undefined) throw new TypeError('Expected a timestamp from the database, got null');
  return d;
}
