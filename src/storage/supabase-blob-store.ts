import type { SupabaseClient } from '@supabase/supabase-js';
import type { SupabaseConfig } from '../config/config.ts';
import { permanent, type PipelineError } from '../shared/pipeline-error.ts';
import { createSupabaseServerClient } from '../supabase/supabase-client.ts';
import {
  classifyStorageError,
  isAlreadyExists,
  isBucketMissing,
  storageErrorFacts,
  type StorageOperation,
} from '../supabase/storage-errors.ts';
import type { BlobStore } from './blob-store.ts';
import { assertSafeKey } from './storage-key.ts';

// A content type ends up in an HTTP header: one printable line, nothing a header could be split with.
const HEADER_VALUE = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

export interface EnsureBucketResult {
  created: boolean;
}

/**
 * Blobs in a private Supabase Storage bucket through supabase-js. Every `{ error }` is read and turned
 * into a PipelineError (storage-errors.ts), so the job layer decides retry or fail from the code alone.
 */
export class SupabaseBlobStore implements BlobStore {
  readonly bucket: string;
  readonly #client: SupabaseClient;
  readonly #config: SupabaseConfig;

  constructor(config: SupabaseConfig, client: SupabaseClient = createSupabaseServerClient(config)) {
    this.bucket = config.bucket;
    this.#config = config;
    this.#client = client;
  }

  /**
   * Upload with `upsert: true` rather than treating "409 already exists" as done. The key is derived from
   * the wamid, so the only earlier writer of this key is an earlier attempt of the same job; overwriting
   * keeps the object equal to what the row is about to record (size, sha256) even if that attempt ran with
   * other settings or another sharp build, whereas "409 = done" would keep stale bytes under a row that
   * describes new ones. Overwriting identical bytes costs one upload, and only on retries.
   */
  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    assertSafeKey(key);
    if (!HEADER_VALUE.test(contentType)) {
      throw permanent('invalid_content_type', `Unusable content type for ${key}: ${JSON.stringify(contentType)}`);
    }
    const data = await this.#call('upload', key, () =>
      this.#files().upload(key, bytes, {
        // Without it storage-js labels a Buffer text/plain;charset=UTF-8 and browsers refuse to show it.
        contentType,
        cacheControl: String(this.#config.cacheControlSeconds),
        upsert: true,
      }),
    );
    // storage-js computes `path` itself from what we passed; `fullPath` is the server's own `Key`.
    const expected = `${this.bucket}/${key}`;
    if (data.path !== key || (typeof data.fullPath === 'string' && data.fullPath !== expected)) {
      throw permanent(
        'supabase_path_mismatch',
        `Supabase Storage stored ${JSON.stringify(data.fullPath ?? data.path)} when asked for ${JSON.stringify(expected)}`,
      );
    }
  }

  async get(key: string): Promise<{ bytes: Buffer; contentType: string }> {
    assertSafeKey(key);
    return this.#call('download', key, async () => {
      const { data, error } = await this.#files().download(key);
      if (error) return { data: null, error };
      // The Blob's type is the Content-Type Storage serves, i.e. the one given at upload.
      return { data: { bytes: Buffer.from(await data.arrayBuffer()), contentType: data.type || 'application/octet-stream' }, error: null };
    });
  }

  async exists(key: string): Promise<boolean> {
    assertSafeKey(key);
    try {
      // storage-js answers "missing" as { data: false, error } and throws every other error.
      const { data } = await this.#files().exists(key);
      return data;
    } catch (error) {
      const classified = classifyStorageError(error, { operation: 'info', bucket: this.bucket, key });
      // Older Storage servers send NoSuchKey without a code, which storage-js does not recognise.
      if (classified.code === 'blob_not_found') return false;
      throw classified;
    }
  }

  /** Storage skips keys that are not there, so deleting a missing key succeeds, as the port asks. */
  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.#call('remove', key, () => this.#files().remove([key]));
  }

  async signedUrl(key: string, expiresInSeconds: number): Promise<string> {
    assertSafeKey(key);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) {
      throw permanent('invalid_signed_url_ttl', `A signed URL needs a whole number of seconds ≥ 1, got ${expiresInSeconds}`);
    }
    const data = await this.#call('sign', key, () => this.#files().createSignedUrl(key, expiresInSeconds));
    return data.signedUrl;
  }

  describe(): string {
    return `Supabase Storage bucket "${this.bucket}" at ${this.#config.url ?? '(no SUPABASE_URL)'}`;
  }

  /**
   * Start-up check: the bucket must exist and be private. A missing bucket is created (private) only when
   * SUPABASE_CREATE_BUCKET allows it; a public bucket is refused, because every customer photo in it would
   * be readable by anyone who guesses or is sent its URL.
   */
  async ensureBucket(): Promise<EnsureBucketResult> {
    const found = await this.#client.storage.getBucket(this.bucket);
    if (!found.error) {
      this.#refusePublic(found.data.public);
      return { created: false };
    }
    if (!isBucketMissing(storageErrorFacts(found.error))) throw this.#bucketError(found.error);
    if (!this.#config.createBucket) throw this.#bucketError(found.error);

    const made = await this.#client.storage.createBucket(this.bucket, { public: false });
    if (!made.error) return { created: true };
    // Another instance starting at the same moment may have won; then judge the bucket it made.
    if (!isAlreadyExists(storageErrorFacts(made.error))) throw this.#bucketError(made.error);
    const again = await this.#client.storage.getBucket(this.bucket);
    if (again.error) throw this.#bucketError(again.error);
    this.#refusePublic(again.data.public);
    return { created: false };
  }

  #refusePublic(isPublic: boolean): void {
    if (!isPublic) return;
    throw new Error(
      `Supabase Storage bucket "${this.bucket}" is public: anyone with an object's URL could read customer photos. ` +
        'Make it private (Dashboard → Storage → the bucket → Edit bucket → Public bucket off, or ' +
        `\`update storage.buckets set public = false where id = '${this.bucket}';\`) and start again.`,
    );
  }

  #bucketError(error: unknown): PipelineError {
    return classifyStorageError(error, { operation: 'bucket', bucket: this.bucket });
  }

  #files() {
    return this.#client.storage.from(this.bucket);
  }

  /** Runs one storage-js call; its `{ error }` and anything it throws (network, a broken body) are classified. */
  async #call<R extends { data: unknown; error: object | null }>(
    operation: StorageOperation,
    key: string,
    run: () => Promise<R>,
  ): Promise<Extract<R, { error: null }>['data']> {
    let result: R;
    try {
      result = await run();
    } catch (error) {
      throw classifyStorageError(error, { operation, bucket: this.bucket, key });
    }
    if (result.error !== null) throw classifyStorageError(result.error, { operation, bucket: this.bucket, key });
    return result.data as Extract<R, { error: null }>['data'];
  }
}
