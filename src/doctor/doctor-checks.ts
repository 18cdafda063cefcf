import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { Catalog } from '../catalog/catalog.ts';
import { createCatalog } from '../catalog/create-catalog.ts';
import type { Config } from '../config/config.ts';
import { readLiveServiceFile } from '../start/service-file.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createBlobStore, ensureBucket } from '../storage/create-blob-store.ts';
import { describeSupabaseKey } from '../supabase/supabase-client.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found, or what is wrong and how to fix it. */
  detail: string;
}

const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
const warn = (name: string, detail: string): CheckResult => ({ name, status: 'warn', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });

/** Settings that need no network: fast enough for every start-up. */
export function settingsChecks(config: Config): CheckResult[] {
  const results: CheckResult[] = [];
  results.push(
    config.whatsapp.appSecrets.length > 0
      ? ok('app secret', `${config.whatsapp.appSecrets.length} secret(s) configured`)
      : fail('app secret', 'APP_SECRET is not set, so every webhook POST is rejected. Fix: copy it from Meta app → App settings → Basic.'),
  );
  results.push(
    config.whatsapp.verifyToken
      ? ok('verify token', 'WEBHOOK_VERIFY_TOKEN is set')
      : warn('verify token', 'WEBHOOK_VERIFY_TOKEN is not set, so Meta\'s webhook handshake is refused. Fix: choose one and enter it in Meta\'s webhook settings.'),
  );
  if (config.graph.standin.enabled) results.push(warn('Graph access token', 'GRAPH_STANDIN=true: media comes from the local stand-in, not from Meta.'));
  else if (config.whatsapp.accessToken) results.push(ok('Graph access token', `WHATSAPP_ACCESS_TOKEN is set; Graph ${config.graph.baseUrl} ${config.graph.version}`));
  else results.push(fail('Graph access token', 'WHATSAPP_ACCESS_TOKEN is not set, so no media can be downloaded. Fix: set it, or GRAPH_STANDIN=true to try locally.'));

  if (config.storage.kind === 'supabase' || config.catalog.kind === 'supabase') results.push(supabaseKeyCheck(config.storage.supabase.key));
  return results;
}

function supabaseKeyCheck(key: string | undefined): CheckResult {
  const kind = key ? describeSupabaseKey(key) : 'missing';
  if (kind === 'service_role' || kind === 'secret') return ok('Supabase key', `SUPABASE_KEY is a ${kind} key`);
  if (kind === 'anon' || kind === 'publishable') {
    return fail('Supabase key', `SUPABASE_KEY is the ${kind} key. Fix: use the service_role (or sb_secret_…) key from Project Settings → API keys; the ${kind} key is public and must never be given to a server.`);
  }
  if (kind === 'missing') return fail('Supabase key', 'SUPABASE_KEY is not set. Fix: set the service_role (or sb_secret_…) key.');
  return warn('Supabase key', 'SUPABASE_KEY is not a recognisable Supabase key; the checks below will tell whether it works.');
}

/** The catalog opens and its table has every column (a Supabase table lagging behind fails here). */
export async function catalogCheck(config: Config): Promise<{ result: CheckResult; catalog?: Catalog }> {
  const live = config.catalog.kind === 'pglite' ? await readLiveServiceFile(config.dataDir) : undefined;
  if (live) return { result: ok('catalog', `embedded catalog in use by the running service (pid ${live.pid}); not opened twice`) };
  try {
    const catalog = await createCatalog(config.catalog);
    await catalog.list({ limit: 1 });
    return { result: ok('catalog', `${config.catalog.kind}: table image_metadata and its columns are in place`), catalog };
  } catch (error) {
    return { result: fail('catalog', `${config.catalog.kind}: ${messageOf(error)}`) };
  }
}

/** The bucket is there and private, and an object can be written, read back byte-exact, signed and deleted. */
export async function storageChecks(config: Config): Promise<CheckResult[]> {
  let store: BlobStore;
  try {
    store = createBlobStore(config.storage);
    await ensureBucket(store);
  } catch (error) {
    return [fail('storage', messageOf(error))];
  }
  const results = [ok('storage', store.describe())];
  const key = `_doctor/probe-${randomBytes(6).toString('hex')}.jpg`;
  const probe = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
  try {
    await store.put(key, probe, 'image/jpeg');
    const back = await store.get(key);
    if (!back.bytes.equals(probe)) results.push(fail('write and read back', 'the object read back differs from what was written'));
    else if (back.contentType !== 'image/jpeg') results.push(fail('write and read back', `stored with content type ${back.contentType}, expected image/jpeg`));
    else results.push(ok('write and read back', `${probe.length} bytes, byte-exact, image/jpeg`));
    if (store.signedUrl) results.push(await signedUrlCheck(store, key, probe, config.storage.signedUrlTtlSeconds));
  } catch (error) {
    results.push(fail('write and read back', messageOf(error)));
  } finally {
    results.push(await deleteCheck(store, key));
  }
  return results;
}

async function signedUrlCheck(store: BlobStore, key: string, probe: Buffer, ttlSeconds: number): Promise<CheckResult> {
  try {
    const url = await store.signedUrl?.(key, ttlSeconds);
    const response = await fetch(url ?? '', { signal: AbortSignal.timeout(10_000) });
    const bytes = Buffer.from(await response.arrayBuffer());
    return response.ok && bytes.equals(probe)
      ? ok('signed URL', `serves the object for ${ttlSeconds} s (SIGNED_URL_TTL_SECONDS)`)
      : fail('signed URL', `the signed URL answered ${response.status} with ${bytes.length} bytes`);
  } catch (error) {
    return fail('signed URL', messageOf(error));
  }
}

async function deleteCheck(store: BlobStore, key: string): Promise<CheckResult> {
  try {
    await store.delete(key);
    return (await store.exists(key)) ? fail('delete', `${key} is still there after delete`) : ok('delete', 'test object removed');
  } catch (error) {
    return fail('delete', messageOf(error));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
