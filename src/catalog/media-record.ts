/** What a WhatsApp message contributes to the catalog when it is accepted (before any download). */
export type MediaKind = 'image' | 'sticker' | 'document' | 'unsupported';

export type MediaStatus = 'received' | 'processing' | 'stored' | 'failed';

export interface AcceptedMedia {
  wamid: string;
  kind: MediaKind;
  /** Absent when Meta could not deliver the media (errors[] 131051/131052). */
  mediaId: string | undefined;
  /** The mime type Meta announced; never trusted for processing, kept for the record. */
  announcedMimeType: string | undefined;
  /** Meta's sha256 of the original bytes, base64 or hex as it arrived. */
  announcedSha256: string | undefined;
  /** Some newer payloads carry the download URL directly; the Graph lookup stays the fallback. */
  mediaUrl: string | undefined;
  caption: string | undefined;
  filename: string | undefined;
  animated: boolean | undefined;
  forwarded: boolean;
  senderPhone: string | undefined;
  senderUserId: string | undefined;
  phoneNumberId: string | undefined;
  wabaId: string | undefined;
  messageTimestamp: Date;
  /** When set, the item is accepted straight into `failed` with Meta's own code. */
  metaError: { code: string; message: string } | undefined;
}

export interface StoredResult {
  storagePath: string;
  mimeType: string;
  byteSize: number;
  width: number;
  height: number;
  contentSha256: string;
  originalMimeType: string;
  originalPath: string | undefined;
}

/** A catalog row: what was accepted, plus what processing found out and the work bookkeeping. */
export interface MediaRecord extends Omit<AcceptedMedia, 'metaError'> {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  status: MediaStatus;
  // Set once stored (seed columns: storage_path, mime_type, file_size_kb).
  storagePath: string | undefined;
  mimeType: string | undefined;
  fileSizeKb: number | undefined;
  byteSize: number | undefined;
  width: number | undefined;
  height: number | undefined;
  contentSha256: string | undefined;
  originalMimeType: string | undefined;
  originalPath: string | undefined;
  storedAt: Date | undefined;
  // Work bookkeeping.
  attempts: number;
  leaseUntil: Date | undefined;
  nextAttemptAt: Date | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}
