import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/*
 * The in-memory half of the fake Supabase Storage: buckets, objects, injected faults, signed-URL tokens
 * and the error bodies Storage really sends (supabase/storage src/internal/errors/codes.ts and
 * src/http/error-handler.ts). storage-routes.ts puts HTTP in front of it.
 */

export type StorageFaultKind = '500' | '503' | '429' | '413' | 'network';

export interface FakeObject {
  id: string;
  name: string;
  bytes: Buffer;
  contentType: string;
  /** The cache-control header as the client sent it (storage-js sends `max-age=<seconds>`). */
  cacheControl: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface FakeBucket {
  id: string;
  name: string;
  public: boolean;
  fileSizeLimit: number | null;
  allowedMimeTypes: string[] | null;
  createdAt: string;
  updatedAt: string;
  objects: Map<string, FakeObject>;
}

export interface BucketOptions {
  public?: boolean;
  fileSizeLimit?: number | null;
  allowedMimeTypes?: string[] | null;
}

export interface FaultMatch {
  method?: string;
  /** Tested against the path after /storage/v1, e.g. /object/my-bucket/a.jpg */
  path?: RegExp;
}

export interface StorageState {
  readonly buckets: Map<string, FakeBucket>;
  /** Creates (or replaces) a bucket directly, as a test's setup would in the dashboard. */
  createBucket(id: string, options?: BucketOptions): FakeBucket;
  object(bucket: string, key: string): FakeObject | undefined;
  /** The next `count` matching storage requests fail with `kind` instead of being served. */
  failNext(count: number, kind: StorageFaultKind, match?: FaultMatch): void;
  /** Faults queued but not yet served. */
  pendingFaults(): number;
  /** Moves the fake's clock (signed-URL expiry) forward, so expiry is tested without sleeping. */
  advanceClock(ms: number): void;
  now(): number;
}

/** The whole project's upload cap on the free plan; a bucket may set a lower one. */
export const PROJECT_FILE_SIZE_LIMIT = 50 * 1024 * 1024;

export interface InternalStorageState extends StorageState {
  takeFault(method: string, path: string): StorageFaultKind | undefined;
  signToken(url: string, expiresInSeconds: number): string;
  verifyToken(token: string): { url: string } | { error: string };
}

export function createStorageState(): InternalStorageState {
  const buckets = new Map<string, FakeBucket>();
  const faults: { remaining: number; kind: StorageFaultKind; match: FaultMatch }[] = [];
  const secret = randomBytes(32);
  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;
  const sign = (data: string) => createHmac('sha256', secret).update(data).digest('base64url');

  return {
    buckets,
    now,
    createBucket(id, options = {}) {
      const at = new Date(now()).toISOString();
      const bucket: FakeBucket = {
        id, name: id, public: options.public ?? false, fileSizeLimit: options.fileSizeLimit ?? null,
        allowedMimeTypes: options.allowedMimeTypes ?? null, createdAt: at, updatedAt: at, objects: new Map(),
      };
      buckets.set(id, bucket);
      return bucket;
    },
    object: (bucket, key) => buckets.get(bucket)?.objects.get(key),
    failNext(count, kind, match = {}) {
      faults.push({ remaining: count, kind, match });
    },
    pendingFaults: () => faults.reduce((sum, f) => sum + f.remaining, 0),
    advanceClock(ms) {
      clockOffsetMs += ms;
    },
    takeFault(method, path) {
      const fault = faults.find((f) => f.remaining > 0 && (!f.match.method || f.match.method === method) && (!f.match.path || f.match.path.test(path)));
      if (!fault) return undefined;
      fault.remaining -= 1;
      return fault.kind;
    },
    // Storage signs URLs as an HS256 JWT of { url: "bucket/key", iat, exp } with the project's secret.
    signToken(url, expiresInSeconds) {
      const iat = Math.floor(now() / 1000);
      const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
      const body = Buffer.from(JSON.stringify({ url, iat, exp: iat + expiresInSeconds })).toString('base64url');
      return `${head}.${body}.${sign(`${head}.${body}`)}`;
    },
    verifyToken(token) {
      const [head, body, signature] = token.split('.');
      if (!head || !body || !signature) return { error: 'jwt malformed' };
      const expected = Buffer.from(sign(`${head}.${body}`));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { error: 'invalid signature' };
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { url: string; exp: number };
      if (payload.exp * 1000 <= now()) return { error: 'jwt expired' };
      return { url: payload.url };
    },
  };
}

/**
 * Storage's error handler answers every error it raises with HTTP 400 (500 for a 500) and the real
 * status as a string in the body; `error` is the legacy name, or the code when there is none.
 */
export function sendStorageError(reply: FastifyReply, status: number, code: string, message: string, error: string = code): FastifyReply {
  return reply.code(status === 500 ? 500 : 400).send({ statusCode: String(status), code, error, message });
}

export const errors = {
  noSuchBucket: (reply: FastifyReply) => sendStorageError(reply, 404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  noSuchKey: (reply: FastifyReply) => sendStorageError(reply, 404, 'NoSuchKey', 'Object not found', 'not_found'),
  invalidKey: (reply: FastifyReply, key: string) => sendStorageError(reply, 400, 'InvalidKey', `Invalid key: ${key}`),
  rls: (reply: FastifyReply) => sendStorageError(reply, 403, 'AccessDenied', 'new row violates row-level security policy', 'Unauthorized'),
  tooLarge: (reply: FastifyReply) => sendStorageError(reply, 413, 'EntityTooLarge', 'The object exceeded the maximum allowed size', 'Payload too large'),
  duplicate: (reply: FastifyReply, code = 'ResourceAlreadyExists') => sendStorageError(reply, 409, code, 'The resource already exists', 'Duplicate'),
  invalidJwt: (reply: FastifyReply, message: string) => sendStorageError(reply, 400, 'InvalidJWT', message),
  badRequest: (reply: FastifyReply, message: string) => reply.code(400).send({ statusCode: '400', error: 'Bad Request', message }),
};

/** What each injected fault looks like on the wire. */
export function sendFault(reply: FastifyReply, kind: Exclude<StorageFaultKind, 'network'>): FastifyReply {
  switch (kind) {
    case '500':
      return sendStorageError(reply, 500, 'InternalError', 'Internal server error');
    case '503':
      // A gateway in front of Storage, not Storage itself: an HTML page storage-js cannot parse as JSON.
      return reply.code(503).type('text/html').send('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
    case '429':
      return reply.code(429).send({ statusCode: '429', code: 'SlowDown', error: 'too_many_connections', message: 'Too many connections issued to the database' });
    case '413':
      return errors.tooLarge(reply);
  }
}

// supabase/storage src/storage/limits.ts isValidKey: S3-safe characters only (\w is ASCII here).
const VALID_KEY = /^(\w|\/|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/;
export const isValidKey = (key: string): boolean => key.length > 0 && VALID_KEY.test(key);
export const isValidBucketName = (name: string): boolean =>
  name.length > 0 && name.length < 64 && /^(\w|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/.test(name);

/** file_size_limit arrives as a number of bytes or a string such as "5MB". */
export function parseSizeLimit(value: unknown): number | null | 'invalid' {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(gb|mb|kb|b)$/i.exec(value) : null;
  if (!match) return 'invalid';
  const factor = { gb: 1e9, mb: 1e6, kb: 1e3, b: 1 }[match[2]!.toLowerCase() as 'gb' | 'mb' | 'kb' | 'b'];
  return Number(match[1]) * factor;
}

export function mimeAllowed(bucket: FakeBucket, contentType: string): boolean {
  if (!bucket.allowedMimeTypes || bucket.allowedMimeTypes.length === 0) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return bucket.allowedMimeTypes.some((allowed) => {
    const a = allowed.toLowerCase();
    return a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1)));
  });
}

export function newObject(name: string, bytes: Buffer, contentType: string, cacheControl: string | undefined, previous?: FakeObject): FakeObject {
  const at = new Date().toISOString();
  return { id: randomUUID(), name, bytes, contentType, cacheControl, createdAt: previous?.createdAt ?? at, updatedAt: at };
}

export function bucketJson(bucket: FakeBucket) {
  return {
    id: bucket.id, name: bucket.name, owner: '', public: bucket.public, type: 'STANDARD',
    file_size_limit: bucket.fileSizeLimit, allowed_mime_types: bucket.allowedMimeTypes,
    created_at: bucket.createdAt, updated_at: bucket.updatedAt,
  };
}

export function objectJson(bucket: FakeBucket, object: FakeObject) {
  return {
    name: object.name, id: object.id, bucket_id: bucket.id, owner: '', version: object.id,
    created_at: object.createdAt, updated_at: object.updatedAt, last_accessed_at: object.updatedAt,
    metadata: {
      size: object.bytes.length, mimetype: object.contentType, cacheControl: object.cacheControl ?? 'no-cache',
      eTag: `"${etag(object)}"`, lastModified: object.updatedAt, contentLength: object.bytes.length, httpStatusCode: 200,
    },
  };
}

export function etag(object: FakeObject): string {
  return createHash('md5').update(object.bytes).digest('hex');
}
