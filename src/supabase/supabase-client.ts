import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { SupabaseConfig } from '../config/config.ts';

export type SupabaseKeyKind = 'service_role' | 'secret' | 'anon' | 'publishable' | 'unknown';

export interface SupabaseServerClientOptions {
  /**
   * Upper bound for one HTTP call. storage-js has no timeout of its own, so a hung upload would hold a
   * worker until its lease runs out; an aborted call surfaces as StorageUnknownError (transient).
   */
  timeoutMs?: number;
  /** For tests that want to watch or break the wire; the default is the runtime's fetch. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The one place that builds a supabase-js client. A server process has no browser session: with these
 * auth settings the client never stores, refreshes or looks for a user session, so every request carries
 * the configured key (apikey header and Bearer) and nothing else.
 */
export function createSupabaseServerClient(config: SupabaseConfig, options: SupabaseServerClientOptions = {}): SupabaseClient {
  if (!config.url || !config.key) {
    throw new Error('Supabase needs SUPABASE_URL and SUPABASE_KEY (the service_role or sb_secret_ key).');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const baseFetch = options.fetch ?? fetch;
  const fetchWithTimeout: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return baseFetch(input, { ...init, signal });
  };
  return createClient(config.url, config.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: fetchWithTimeout },
  });
}

/**
 * What kind of key this is, without verifying anything: legacy keys are JWTs whose payload names the
 * role; the newer keys say it in their prefix. Only the server can tell whether a key is valid.
 */
export function describeSupabaseKey(key: string): SupabaseKeyKind {
  const trimmed = key.trim();
  if (trimmed.startsWith('sb_secret_')) return 'secret';
  if (trimmed.startsWith('sb_publishable_')) return 'publishable';
  const parts = trimmed.split('.');
  if (parts.length !== 3) return 'unknown';
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    const role = (payload as { role?: unknown } | null)?.role;
    if (role === 'service_role') return 'service_role';
    if (role === 'anon') return 'anon';
  } catch {
    // Not a JWT after all: fall through.
  }
  return 'unknown';
}

/**
 * Refuses the keys that must never run this service. A key of unknown shape passes: the server is the
 * judge, and an unusable one then fails loudly as supabase_access_denied.
 */
export function assertServiceKey(key: string | undefined): asserts key is string {
  if (!key || key.trim() === '') {
    throw new Error('SUPABASE_KEY is not set: the service needs the service_role or sb_secret_ key of your Supabase project.');
  }
  const kind = describeSupabaseKey(key);
  if (kind === 'anon' || kind === 'publishable') {
    throw new Error(
      `SUPABASE_KEY is the ${kind === 'anon' ? 'anon' : 'publishable (sb_publishable_…)'} key: the service needs the ` +
        'service_role or sb_secret_ key (Project Settings → API Keys), because it writes to a private bucket and a ' +
        'table that row-level security closes to the anon role. The anon key is meant for browsers and apps; never ' +
        'ship it here, and never ship the secret key anywhere but this server.',
    );
  }
}
