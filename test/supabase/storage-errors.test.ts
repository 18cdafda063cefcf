import { describe, expect, it } from 'vitest';
import { StorageApiError } from '@supabase/supabase-js';
import { classifyStorageError } from '../../src/supabase/storage-errors.ts';

/*
 * Shapes the live fake does not produce: older Storage servers (no `code`, only the legacy `error`, which
 * storage-js drops), gateways, and errors built the way storage-js builds them from such bodies
 * (status = HTTP status, statusCode = body.statusCode || body.code || status).
 */
const api = (message: string, status: number, statusCode: string, code?: string) => new StorageApiError(message, status, statusCode, 'storage', code);
// supabase-js does not re-export StorageUnknownError; this is its shape (name, message, originalError).
const unknownError = (message: string, originalError: unknown) => Object.assign(new Error(message), { name: 'StorageUnknownError', originalError });
const ctx = { operation: 'download', bucket: 'b', key: 'k.jpg' } as const;

describe('classifyStorageError', () => {
  it.each([
    ['old NoSuchKey without code', api('Object not found', 400, '404'), 'blob_not_found', false],
    ['old bucket missing without code', api('Bucket not found', 400, '404'), 'supabase_bucket_missing', false],
    ['old InvalidKey without code', api('Invalid key: a b', 400, '400'), 'supabase_invalid_key', false],
    ['old EntityTooLarge', api('The object exceeded the maximum allowed size', 400, '413'), 'supabase_entity_too_large', false],
    ['old AccessDenied', api('new row violates row-level security policy', 400, '403'), 'supabase_access_denied', false],
    ['InvalidJWT', api('jwt expired', 400, '400', 'InvalidJWT'), 'supabase_access_denied', false],
    ['gateway 401 without a key', api('No API key found in request', 401, '401'), 'supabase_access_denied', false],
    ['LockTimeout (HTTP 400, body 503)', api('acquiring lock timeout', 400, '503', 'LockTimeout'), 'supabase_storage_unavailable', true],
    ['DatabaseTimeout (HTTP 544)', api('The connection to the database timed out', 544, '544', 'DatabaseTimeout'), 'supabase_storage_unavailable', true],
    ['a body with code but no statusCode', api('slow down', 429, 'SlowDown'), 'supabase_storage_unavailable', true],
    ['gateway 502 page', api('Bad Gateway', 502, '502'), 'supabase_storage_unavailable', true],
    ['ResourceLocked', api('The resource is locked', 400, '423', 'ResourceLocked'), 'supabase_storage_unavailable', true],
    ['network', unknownError('fetch failed', new TypeError('fetch failed')), 'supabase_storage_unavailable', true],
    ['an unknown 400', api('Missing Required Parameter x', 400, '400', 'MissingParameter'), 'supabase_storage_rejected', false],
  ])('%s → %s', (_label, error, code, retryable) => {
    expect(classifyStorageError(error, ctx)).toMatchObject({ code, retryable });
  });

  it('a 409 is a conflict to retry on upload (we upsert) and plain "already exists" elsewhere', () => {
    const duplicate = api('The resource already exists', 400, '409', 'ResourceAlreadyExists');
    expect(classifyStorageError(duplicate, { ...ctx, operation: 'upload' })).toMatchObject({ code: 'supabase_upload_conflict', retryable: true });
    expect(classifyStorageError(duplicate, { operation: 'bucket', bucket: 'b' })).toMatchObject({ code: 'supabase_already_exists', retryable: false });
  });

  it('keeps Supabase\'s code, status and message in the text, and the original error as cause', () => {
    const original = api('mime type image/heic is not supported', 400, '415', 'InvalidMimeType');
    const error = classifyStorageError(original, { ...ctx, operation: 'upload' });
    expect(error.message).toBe(
      'Supabase Storage upload of b/k.jpg was refused: the bucket does not allow this content type. ' +
        "Supabase said InvalidMimeType 415: mime type image/heic is not supported. Add the type to the bucket's allowed MIME types, or clear that list",
    );
    expect(error.cause).toBe(original);
  });
});
