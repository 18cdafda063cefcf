import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { envSchema } from '../../src/config/schema.ts';

describe('configuration', () => {
  it('works with nothing set: embedded catalog, local disk, Graph v24.0', () => {
    const config = loadConfig({});
    expect(config.catalog.kind).toBe('pglite');
    expect(config.storage.kind).toBe('local');
    expect(config.graph.baseUrl).toBe('https://graph.facebook.com');
    expect(config.graph.version).toBe('v24.0');
    expect(config.http.port).toBe(8080);
    expect(config.media.maxEdge).toBe(2048);
    expect(Object.isFrozen(config.media)).toBe(true);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', OUTPUT_FORMAT: 'bmp', GRAPH_API_VERSION: '24', KEEP_ORIGINAL: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'OUTPUT_FORMAT', 'GRAPH_API_VERSION', 'KEEP_ORIGINAL']) expect(message).toContain(name);
  });

  it('reads several app secrets, and derives postgres from DATABASE_URL', () => {
    const config = loadConfig({ APP_SECRET: 'old, new', DATABASE_URL: 'postgres://127.0.0.1/x' });
    expect(config.whatsapp.appSecrets).toEqual(['old', 'new']);
    expect(config.catalog.kind).toBe('postgres');
  });

  it('allows the Graph host, lookaside and the extra allow-list for downloads', () => {
    const config = loadConfig({ GRAPH_API_BASE_URL: 'http://127.0.0.1:9999/', MEDIA_HOST_ALLOWLIST: 'cdn.example.com' });
    expect(config.graph.baseUrl).toBe('http://127.0.0.1:9999');
    expect(config.graph.allowedHosts).toEqual(['127.0.0.1', 'lookaside.fbsbx.com', 'cdn.example.com']);
  });

  it('derives the adapters from what is set: Supabase for both, DATABASE_URL winning the catalog', () => {
    const supabase = { SUPABASE_URL: 'https://abc.supabase.co/', SUPABASE_KEY: 'k' };
    expect(loadConfig(supabase)).toMatchObject({ catalog: { kind: 'supabase' }, storage: { kind: 'supabase', supabase: { url: 'https://abc.supabase.co', bucket: 'whatsapp-images' } } });
    expect(loadConfig({ ...supabase, DATABASE_URL: 'postgres://db/x' })).toMatchObject({ catalog: { kind: 'postgres' }, storage: { kind: 'supabase' } });
    expect(loadConfig({ ...supabase, STORAGE: 'local', CATALOG: 'pglite' })).toMatchObject({ catalog: { kind: 'pglite' }, storage: { kind: 'local' } });
    expect(() => loadConfig({ STORAGE: 'supabase' })).toThrow(/STORAGE=supabase needs SUPABASE_URL and SUPABASE_KEY/);
    expect(() => loadConfig({ SUPABASE_BUCKET: 'Not A Bucket' })).toThrow(/SUPABASE_BUCKET/);
  });

  it('refuses CATALOG=postgres without DATABASE_URL', () => {
    expect(() => loadConfig({ CATALOG: 'postgres' })).toThrow(/DATABASE_URL/);
  });

  it('dispatches in-process by default and through BullMQ when REDIS_URL is set', () => {
    expect(loadConfig({}).dispatch).toMatchObject({ kind: 'inprocess', redisUrl: undefined, queueName: 'media-vault' });
    expect(loadConfig({ REDIS_URL: 'redis://:pw@10.0.0.5:6379/2', QUEUE_NAME: 'vault-eu' }).dispatch).toMatchObject({
      kind: 'bullmq',
      redisUrl: 'redis://:pw@10.0.0.5:6379/2',
      queueName: 'vault-eu',
    });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DISPATCH: 'inprocess' }).dispatch.kind).toBe('inprocess');
  });

  it('refuses DISPATCH=bullmq without REDIS_URL, a non-Redis URL and a queue name with ":"', () => {
    expect(() => loadConfig({ DISPATCH: 'bullmq' })).toThrow(/DISPATCH=bullmq needs REDIS_URL/);
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ QUEUE_NAME: 'media:vault' })).toThrow(/QUEUE_NAME/);
  });

  it('documents every setting in .env.example', () => {
    const example = readFileSync(path.resolve(import.meta.dirname, '../../.env.example'), 'utf8');
    for (const name of Object.keys(envSchema.shape)) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
