import path from 'node:path';
import type { ParsedEnv } from './schema.ts';

export type OutputFormat = 'jpeg' | 'webp' | 'avif';
export type CatalogKind = 'pglite' | 'postgres' | 'supabase';
export type StorageKind = 'local' | 'supabase';
export type DispatchKind = 'inprocess' | 'bullmq';

export interface MediaLimits {
  /** Largest download accepted per media kind, checked against the announced size and the bytes read. */
  maxBytes: { image: number; sticker: number; document: number };
  maxPixels: number;
}

export interface SupabaseConfig {
  url: string | undefined;
  key: string | undefined;
  bucket: string;
  /** Create the private bucket at start-up when it is missing. */
  createBucket: boolean;
  cacheControlSeconds: number;
}

export interface Config {
  http: { host: string; port: number; bodyLimitBytes: number; requestTimeoutMs: number; adminToken: string | undefined };
  logLevel: string;
  dataDir: string;
  whatsapp: {
    accessToken: string | undefined;
    phoneNumberId: string | undefined;
    verifyToken: string | undefined;
    appSecrets: readonly string[];
  };
  graph: {
    baseUrl: string;
    version: string;
    /** Hosts a media download may touch, including every redirect hop. */
    allowedHosts: readonly string[];
    userAgent: string;
    timeoutMs: number;
    standin: { enabled: boolean; mediaMapPath: string | undefined };
  };
  media: MediaLimits & {
    maxEdge: number;
    format: OutputFormat;
    quality: number;
    keepOriginal: boolean;
  };
  catalog: { kind: CatalogKind; pgliteDir: string; databaseUrl: string | undefined; supabase: SupabaseConfig };
  storage: { kind: StorageKind; localDir: string; supabase: SupabaseConfig; signedUrlTtlSeconds: number };
  dispatch: {
    /** inprocess: a worker pool in this process; bullmq: jobs in Redis, shared by every process on REDIS_URL. */
    kind: DispatchKind;
    redisUrl: string | undefined;
    queueName: string;
    /** Jobs this process runs at once (with BullMQ: per process). */
    concurrency: number;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    leaseMs: number;
    reconcileIntervalMs: number;
    shutdownGraceMs: number;
  };
}

export function toConfig(env: ParsedEnv): Config {
  const dataDir = path.resolve(env.DATA_DIR);
  const graphHost = new URL(env.GRAPH_API_BASE_URL).hostname;
  const supabaseSet = Boolean(env.SUPABASE_URL && env.SUPABASE_KEY);
  // DATABASE_URL wins for the catalog (faster, transactional) even when Supabase is set too.
  const catalogKind: CatalogKind = env.CATALOG ?? (env.DATABASE_URL ? 'postgres' : supabaseSet ? 'supabase' : 'pglite');
  const supabase: SupabaseConfig = {
    url: env.SUPABASE_URL?.replace(/\/+$/, ''),
    key: env.SUPABASE_KEY,
    bucket: env.SUPABASE_BUCKET,
    createBucket: env.SUPABASE_CREATE_BUCKET,
    cacheControlSeconds: env.SUPABASE_CACHE_CONTROL_SECONDS,
  };
  return deepFreeze({
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
      requestTimeoutMs: env.WEBHOOK_REQUEST_TIMEOUT_MS,
      adminToken: env.ADMIN_TOKEN,
    },
    logLevel: env.LOG_LEVEL,
    dataDir,
    whatsapp: {
      accessToken: env.WHATSAPP_ACCESS_TOKEN,
      phoneNumberId: env.PHONE_NUMBER_ID,
      verifyToken: env.WEBHOOK_VERIFY_TOKEN,
      appSecrets: env.APP_SECRET,
    },
    graph: {
      baseUrl: env.GRAPH_API_BASE_URL.replace(/\/+$/, ''),
      version: env.GRAPH_API_VERSION,
      allowedHosts: [...new Set([graphHost, 'lookaside.fbsbx.com', ...env.MEDIA_HOST_ALLOWLIST])],
      userAgent: env.DOWNLOAD_USER_AGENT,
      timeoutMs: env.HTTP_TIMEOUT_MS,
      standin: { enabled: env.GRAPH_STANDIN, mediaMapPath: env.GRAPH_STANDIN_MEDIA_MAP },
    },
    media: {
      maxBytes: {
        image: env.MAX_IMAGE_BYTES,
        sticker: env.MAX_STICKER_BYTES,
        document: env.MAX_DOCUMENT_IMAGE_BYTES,
      },
      maxPixels: env.MAX_IMAGE_PIXELS,
      maxEdge: env.MAX_IMAGE_EDGE,
      format: env.OUTPUT_FORMAT,
      quality: env.OUTPUT_QUALITY,
      keepOriginal: env.KEEP_ORIGINAL,
    },
    catalog: {
      kind: catalogKind,
      pgliteDir: path.join(dataDir, 'catalog'),
      databaseUrl: env.DATABASE_URL,
      supabase,
    },
    storage: {
      kind: env.STORAGE ?? (supabaseSet ? 'supabase' : 'local'),
      localDir: path.join(dataDir, 'media'),
      supabase,
      signedUrlTtlSeconds: env.SIGNED_URL_TTL_SECONDS,
    },
    dispatch: {
      kind: env.DISPATCH ?? (env.REDIS_URL ? 'bullmq' : 'inprocess'),
      redisUrl: env.REDIS_URL,
      queueName: env.QUEUE_NAME,
      concurrency: env.WORKER_CONCURRENCY,
      maxAttempts: env.MAX_ATTEMPTS,
      retryBaseMs: env.RETRY_BASE_MS,
      retryMaxMs: env.RETRY_MAX_MS,
      leaseMs: env.LEASE_MS,
      reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
