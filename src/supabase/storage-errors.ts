import { permanent, transient, type PipelineError } from '../shared/pipeline-error.ts';

export type StorageOperation = 'upload' | 'download' | 'info' | 'remove' | 'sign' | 'bucket';

export interface StorageErrorContext {
  operation: StorageOperation;
  bucket: string;
  key?: string | undefined;
}

/** The parts of a storage-js error we branch on, read structurally so any StorageError shape works. */
export interface StorageErrorFacts {
  /** Supabase's status: the *string* from the body ("409"), else the HTTP status; undefined on network faults. */
  status: number | undefined;
  /** Supabase's own code (NoSuchKey, EntityTooLarge, …) when it sent one. */
  code: string | undefined;
  message: string;
  /** StorageUnknownError: the request never got an HTTP answer (refused, reset, timed out). */
  network: boolean;
}

/**
 * Storage answers most client errors with HTTP 400 and the real status as a string in the body
 * (`{ statusCode: "409", code: "ResourceAlreadyExists", … }`); storage-js keeps that string in
 * `statusCode` and the HTTP status in `status`. So the body's status wins; the HTTP status is only the
 * fallback for answers without a JSON body (a gateway's 502 page). storage-js falls back to the body's
 * `code` when `statusCode` is absent, so a non-numeric `statusCode` is a code, not a status.
 */
export function storageErrorFacts(error: unknown): StorageErrorFacts {
  const e = (error && typeof error === 'object' ? error : {}) as {
    name?: unknown; status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown; originalError?: unknown;
  };
  const statusCode = typeof e.statusCode === 'string' ? e.statusCode : undefined;
  const httpStatus = typeof e.status === 'number' ? e.status : undefined;
  const bodyStatus = statusCode !== undefined && /^\d{3}$/.test(statusCode) ? Number(statusCode) : undefined;
  const code = typeof e.code === 'string' ? e.code : statusCode !== undefined && bodyStatus === undefined ? statusCode : undefined;
  const network = e.name === 'StorageUnknownError' || (httpStatus === undefined && bodyStatus === undefined && e.name !== 'StorageApiError');
  let message = typeof e.message === 'string' ? e.message : String(error);
  const cause = (e.originalError as { cause?: { message?: unknown; code?: unknown } } | undefined)?.cause;
  if (network && cause && typeof cause.message === 'string') message += ` (${String(cause.code ?? cause.message)})`;
  return { status: bodyStatus ?? httpStatus, code, message, network };
}

const OPERATION_NAMES: Record<StorageOperation, string> = {
  upload: 'upload', download: 'download', info: 'lookup', remove: 'delete', sign: 'signing', bucket: 'bucket check',
};
const TRANSIENT_CODES = new Set(['SlowDown', 'InternalError', 'DatabaseTimeout', 'DatabaseError', 'LockTimeout', 'ResourceLocked']);
const ACCESS_CODES = new Set(['AccessDenied', 'InvalidJWT', 'Unauthorized', 'SignatureDoesNotMatch']);

export function isBucketMissing(facts: StorageErrorFacts): boolean {
  // Older Storage servers send no code, only `error: "Bucket not found"`, which storage-js puts in message.
  return facts.code === 'NoSuchBucket' || (facts.status === 404 && /bucket not found/i.test(facts.message));
}

export function isObjectMissing(facts: StorageErrorFacts): boolean {
  return facts.code === 'NoSuchKey' || (facts.status === 404 && !isBucketMissing(facts));
}

export function isAlreadyExists(facts: StorageErrorFacts): boolean {
  return facts.status === 409 || facts.code === 'ResourceAlreadyExists' || facts.code === 'KeyAlreadyExists' || facts.code === 'BucketAlreadyExists';
}

/** Every `{ error }` supabase-js storage returns (or throws) becomes a PipelineError with a stable code. */
export function classifyStorageError(error: unknown, context: StorageErrorContext): PipelineError {
  const facts = storageErrorFacts(error);
  const target = context.key === undefined ? `bucket "${context.bucket}"` : `${context.bucket}/${context.key}`;
  const said = facts.network
    ? `The request failed: ${facts.message}`
    : `Supabase said ${[facts.code, facts.status].filter((v) => v !== undefined).join(' ')}: ${facts.message}`;
  const text = (what: string, hint?: string) =>
    `Supabase Storage ${OPERATION_NAMES[context.operation]} of ${target} ${what}. ${said}${hint ? `. ${hint}` : ''}`;
  const { status, code } = facts;

  if (facts.network) return transient('supabase_storage_unavailable', text('got no answer (network, timeout or refused)'), error);
  if ((status !== undefined && status >= 500) || status === 429 || status === 408 || status === 423 || (code && TRANSIENT_CODES.has(code))) {
    return transient('supabase_storage_unavailable', text('failed on the server side; a later attempt may succeed'), error);
  }
  if (isBucketMissing(facts)) {
    return permanent(
      'supabase_bucket_missing',
      text(
        'failed: the bucket does not exist',
        `Create it as a private bucket (Dashboard → Storage → New bucket "${context.bucket}", Public off), or set ` +
          'SUPABASE_CREATE_BUCKET=true so the service creates it at start-up. If it does exist, SUPABASE_KEY may not be the ' +
          'service_role key: row-level security hides buckets from other roles',
      ),
      error,
    );
  }
  if (code === 'EntityTooLarge' || status === 413) {
    return permanent('supabase_entity_too_large', text('was refused: the object is larger than the bucket or project allows', 'Raise the bucket\'s file size limit or lower MAX_IMAGE_EDGE / OUTPUT_QUALITY'), error);
  }
  if (code === 'InvalidMimeType' || status === 415) {
    return permanent('supabase_invalid_mime_type', text('was refused: the bucket does not allow this content type', 'Add the type to the bucket\'s allowed MIME types, or clear that list'), error);
  }
  if (code === 'InvalidKey' || (status === 400 && /^invalid key/i.test(facts.message))) {
    return permanent('supabase_invalid_key', text('was refused: Storage does not accept this object key'), error);
  }
  if ((code && ACCESS_CODES.has(code)) || status === 401 || status === 403) {
    return permanent(
      'supabase_access_denied',
      text('was denied', 'Check that SUPABASE_KEY is the service_role (or sb_secret_) key of this project, not the anon/publishable key, and that it belongs to SUPABASE_URL'),
      error,
    );
  }
  if (isObjectMissing(facts)) {
    return permanent('blob_not_found', text('found no object'), error);
  }
  if (isAlreadyExists(facts)) {
    // We upload with upsert, so this is a writer racing us on the same key: the retry overwrites it.
    if (context.operation === 'upload') return transient('supabase_upload_conflict', text('collided with another write of the same key'), error);
    return permanent('supabase_already_exists', text('failed: it already exists'), error);
  }
  return permanent('supabase_storage_rejected', text('was refused'), error);
}
