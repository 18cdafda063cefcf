import { describe, expect, it } from 'vitest';
import { assertServiceKey, createSupabaseServerClient, describeSupabaseKey } from '../../src/supabase/supabase-client.ts';
import { ANON_KEY, SERVICE_ROLE_KEY, fakeJwt } from '../support/fake-supabase/keys.ts';

describe('describeSupabaseKey', () => {
  it.each([
    [SERVICE_ROLE_KEY, 'service_role'],
    [ANON_KEY, 'anon'],
    [fakeJwt({ role: 'service_role' }, 'any other secret: the signature is not checked'), 'service_role'],
    [fakeJwt({ role: 'authenticated', sub: 'user-1' }), 'unknown'],
    [fakeJwt({ sub: 'no role' }), 'unknown'],
    ['sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz', 'secret'],
    ['sb_publishable_ZxD0aNd2SPalO3NXo7-4Lw_H5hCqB2F', 'publishable'],
    ['sb_temp_abc', 'unknown'],
    ['a.b.c', 'unknown'],
    ['eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig', 'unknown'],
    ['', 'unknown'],
  ])('%s → %s', (key, kind) => {
    expect(describeSupabaseKey(key)).toBe(kind);
  });
});

describe('assertServiceKey', () => {
  it('refuses the anon and publishable keys with a message that says which key to use and why', () => {
    expect(() => assertServiceKey(ANON_KEY)).toThrow(/^SUPABASE_KEY is the anon key: the service needs the service_role or sb_secret_ key.*never ship it here/s);
    expect(() => assertServiceKey('sb_publishable_abc')).toThrow(/SUPABASE_KEY is the publishable \(sb_publishable_…\) key/);
    expect(() => assertServiceKey(undefined)).toThrow(/SUPABASE_KEY is not set/);
    expect(() => assertServiceKey('  ')).toThrow(/SUPABASE_KEY is not set/);
  });

  it('lets service keys through, and keys of unknown shape for the server to judge', () => {
    for (const key of [SERVICE_ROLE_KEY, 'sb_secret_abc', 'sb_temp_abc']) expect(() => assertServiceKey(key)).not.toThrow();
  });
});

describe('createSupabaseServerClient', () => {
  it('needs a URL and a key', () => {
    const config = { bucket: 'b', createBucket: false, cacheControlSeconds: 1 };
    expect(() => createSupabaseServerClient({ ...config, url: undefined, key: SERVICE_ROLE_KEY })).toThrow(/SUPABASE_URL and SUPABASE_KEY/);
    expect(() => createSupabaseServerClient({ ...config, url: 'https://x.supabase.co', key: undefined })).toThrow(/SUPABASE_URL and SUPABASE_KEY/);
  });

  it('sends the key as apikey and Bearer, keeps no session, and gives up on a hung call after timeoutMs', async () => {
    const seen: { url: string; headers: Headers; aborted: Promise<unknown> }[] = [];
    const hang: typeof fetch = async (input, init) => {
      const signal = init!.signal!;
      const aborted = new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      seen.push({ url: String(input), headers: new Headers(init!.headers), aborted });
      return aborted as Promise<Response>;
    };
    const client = createSupabaseServerClient(
      { url: 'https://project.supabase.co', key: SERVICE_ROLE_KEY, bucket: 'b', createBucket: false, cacheControlSeconds: 1 },
      { fetch: hang, timeoutMs: 50 },
    );
    const { error } = await client.storage.from('b').download('a.jpg');
    expect(error).toMatchObject({ name: 'StorageUnknownError' });
    expect(seen[0]!.url).toBe('https://project.supabase.co/storage/v1/object/b/a.jpg');
    expect(seen[0]!.headers.get('apikey')).toBe(SERVICE_ROLE_KEY);
    expect(seen[0]!.headers.get('authorization')).toBe(`Bearer ${SERVICE_ROLE_KEY}`);
    expect((await client.auth.getSession()).data.session).toBeNull();
  });
});
