import os from 'node:os';
import { z } from 'zod';

// Environment values are strings; these helpers turn them into typed values and reject nonsense loudly.
const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const listFromEnv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z
  .string()
  .transform((v) => v.trim())
  .transform((v) => (v === '' ? undefined : v))
  .optional();

export const envSchema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('./data'),

  // The seed's six names.
  WHATSAPP_ACCESS_TOKEN: optionalText,
  PHONE_NUMBER_ID: optionalText,
  WEBHOOK_VERIFY_TOKEN: optionalText,
  APP_SECRET: listFromEnv.default([]),
  SUPABASE_URL: optionalText,
  SUPABASE_KEY: optionalText,

  GRAPH_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com'),
  GRAPH_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v24.0')
    .default('v24.0'),
  MEDIA_HOST_ALLOWLIST: listFromEnv.default([]),
  GRAPH_STANDIN: boolFromEnv.default(false),
  GRAPH_STANDIN_MEDIA_MAP: optionalText,
  HTTP_TIMEOUT_MS: int(100, 600_000).default(15_000),
  DOWNLOAD_USER_AGENT: z.string().min(1).default('whatsapp-media-vault/0.1 (+https://www.npmjs.com/package/whatsapp-media-vault)'),

  WEBHOOK_BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  WEBHOOK_REQUEST_TIMEOUT_MS: int(100, 600_000).default(10_000),
  ADMIN_TOKEN: optionalText,

  MAX_IMAGE_BYTES: int(1, 512 * 1024 * 1024).default(8 * 1024 * 1024),
  MAX_STICKER_BYTES: int(1, 64 * 1024 * 1024).default(1024 * 1024),
  MAX_DOCUMENT_IMAGE_BYTES: int(1, 512 * 1024 * 1024).default(32 * 1024 * 1024),
  MAX_IMAGE_PIXELS: int(1, 1_000_000_000).default(50_000_000),
  MAX_IMAGE_EDGE: int(16, 16_384).default(2048),
  OUTPUT_FORMAT: z.enum(['jpeg', 'webp', 'avif']).default('jpeg'),
  OUTPUT_QUALITY: int(1, 100).default(82),
  KEEP_ORIGINAL: boolFromEnv.default(false),

  CATALOG: z.enum(['pglite', 'postgres', 'supabase']).optional(),
  DATABASE_URL: optionalText,
  STORAGE: z.enum(['local', 'supabase']).optional(),
  SUPABASE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{1,62}$/, 'must be a bucket name: lowercase letters, digits, _ . -')
    .default('whatsapp-images'),
  SUPABASE_CREATE_BUCKET: boolFromEnv.default(false),
  SUPABASE_CACHE_CONTROL_SECONDS: int(0, 31_536_000).default(3600),
  SIGNED_URL_TTL_SECONDS: int(1, 7 * 24 * 3600).default(3600),

  WORKER_CONCURRENCY: int(1, 256).default(os.availableParallelism()),
  MAX_ATTEMPTS: int(1, 100).default(8),
  RETRY_BASE_MS: int(1, 3_600_000).default(2_000),
  RETRY_MAX_MS: int(1, 86_400_000).default(10 * 60_000),
  LEASE_MS: int(1_000, 86_400_000).default(2 * 60_000),
  RECONCILE_INTERVAL_MS: int(100, 86_400_000).default(60_000),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(20_000),

  DISPATCH: z.enum(['inprocess', 'bullmq']).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be letters, digits, _ . - (BullMQ forbids ":")')
    .default('media-vault'),
});

export type Env = z.input<typeof envSchema>;
export type ParsedEnv = z.output<typeof envSchema>;
