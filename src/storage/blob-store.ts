/** The blob port. Keys are built by storage-key.ts from the message, never from user text. */
export interface BlobStore {
  /** Writes atomically: a reader sees the whole object or nothing. Overwriting the same key is allowed. */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** Throws PipelineError code `blob_not_found` when missing. */
  get(key: string): Promise<{ bytes: Buffer; contentType: string }>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** A time-limited URL that serves the object to whoever holds it. Only stores that can sign have it. */
  signedUrl?(key: string, expiresInSeconds: number): Promise<string>;
  /** A short description for logs and the doctor ("local disk at /srv/data/media"). */
  describe(): string;
}
