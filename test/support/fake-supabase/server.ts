import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerRestRoutes, type RestState } from './rest-routes.ts';
import { registerStorageRoutes, type StorageState } from './storage-routes.ts';

/**
 * A local HTTP server that answers as Supabase documents (DESIGN.md §4), so supabase-js really builds
 * and sends every call. Storage is kept in memory; the PostgREST side runs on a real PostgreSQL
 * database so upsert semantics are real. Every request is recorded for the contract tests.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The last value of each parameter; rawQuery keeps repeated ones (`error_code=…&error_code=…`). */
  query: Record<string, string>;
  rawQuery: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FakeSupabaseOptions {
  /** Keys the server accepts as service-role; anything else is treated as anon (RLS hides everything). */
  serviceRoleKey: string;
  anonKey?: string;
  /** postgres:// URL of a database the PostgREST side uses (created and migrated by the caller). */
  databaseUrl?: string;
}

export interface FakeSupabase {
  url: string;
  app: FastifyInstance;
  requests: RecordedRequest[];
  storage: StorageState;
  rest: RestState;
  close(): Promise<void>;
}

export async function startFakeSupabase(options: FakeSupabaseOptions): Promise<FakeSupabase> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addHook('preHandler', async (request) => {
    const url = new URL(request.url, 'http://fake');
    requests.push({
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawQuery: url.search,
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    });
  });
  const storage = registerStorageRoutes(app, options);
  const rest = await registerRestRoutes(app, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    requests,
    storage,
    rest,
    async close() {
      await app.close();
      await rest.close();
    },
  };
}
