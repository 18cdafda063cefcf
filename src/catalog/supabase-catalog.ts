import type { SupabaseClient } from '@supabase/supabase-js';
import type { SupabaseConfig } from '../config/config.ts';
import { permanent } from '../shared/pipeline-error.ts';
import { assertServiceKey, createSupabaseServerClient, type SupabaseServerClientOptions } from '../supabase/supabase-client.ts';
import { NEVER_REQUEUED_PREFIXES, type Catalog, type ListQuery, type RequeueFilter } from './catalog.ts';
import type { AcceptedMedia, MediaRecord, StoredResult } from './media-record.ts';
import { postgrestError, type PostgrestFailure } from './postgrest-errors.ts';
import { optionalDate, toRecord, type Row } from './record-row.ts';

/** Every column of image_metadata (migration 1 = sql/supabase-setup.sql); checked at open so drift shows at start-up. */
export const SUPABASE_COLUMNS = [
  'id', 'created_at', 'wamid', 'sender_phone', 'storage_path', 'mime_type', 'file_size_kb', 'original_caption',
  'status', 'media_kind', 'media_id', 'announced_mime_type', 'announced_sha256', 'media_url', 'filename', 'animated',
  'forwarded', 'sender_user_id', 'phone_number_id', 'waba_id', 'message_timestamp', 'byte_size', 'width', 'height',
  'content_sha256', 'original_mime_type', 'original_path', 'stored_at', 'attempts', 'lease_until', 'next_attempt_at',
  'error_code', 'error_message', 'updated_at', 'seq',
] as const;

const TABLE = 'image_metadata';
// A JSON body, not parameters, so the cap is request size: 500 rows stay far below PostgREST's limits.
const ACCEPT_CHUNK = 500;
const LIST_DEFAULT = 100;
// Supabase caps every response at its max-rows setting (1000 by default) whatever we ask for.
const LIST_MAX = 1000;
const DUE_MAX = 1000;
const ERROR_MESSAGE_MAX = 4000;
// Wamids per `in.(…)` filter: they travel in the URL, and gateways refuse long ones (8 KB is common).
const IN_CHUNK = 50;
// Rounds of read-then-compare-and-set in claim before giving the row up to whoever keeps changing it.
const CLAIM_ROUNDS = 3;

type Response = { data: unknown; error: PostgrestFailure | null; status: number };

/**
 * The Catalog over Supabase's REST API (PostgREST) with the service-role key, for users who have only
 * SUPABASE_URL and SUPABASE_KEY. Semantics match SqlCatalog statement for statement; the differences
 * are that the clock for leases and timestamps is this process's, not the database's, and that an
 * accept of more than ACCEPT_CHUNK items is several requests (safe: accept is idempotent).
 *
 * postgrest-js retries GETs by itself (1 s, 2 s, 4 s on 503/520 and network errors). Every call here
 * turns that off: the dispatcher owns retries and backoff, and a fault must surface at once as a
 * retryable `supabase_unavailable` instead of holding a worker or a webhook answer for seconds.
 */
export class SupabaseCatalog implements Catalog {
  readonly #client: SupabaseClient;

  constructor(client: SupabaseClient) {
    this.#client = client;
  }

  /** Fails with supabase_schema_missing (naming the column) when the table is absent or lags behind. */
  async checkSchema(): Promise<void> {
    await this.#rows('read image_metadata', this.#table().select(SUPABASE_COLUMNS.join(',')).limit(1).retry(false));
  }

  async accept(items: readonly AcceptedMedia[]): Promise<{ newWamids: string[] }> {
    const unique = [...new Map(items.map((item) => [item.wamid, item] as const)).values()];
    if (unique.length === 0) return { newWamids: [] };
    // The same fixed order as SqlCatalog, so overlapping concurrent batches lock rows in one order.
    const sorted = [...unique].sort((a, b) => (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : 0));
    const inserted = new Set<string>();
    for (let i = 0; i < sorted.length; i += ACCEPT_CHUNK) {
      for (const row of await this.#insert(sorted.slice(i, i + ACCEPT_CHUNK))) {
        if (row.status === 'received') inserted.add(String(row.wamid));
      }
    }
    return { newWamids: unique.map((item) => clean(item.wamid)).filter((wamid) => inserted.has(wamid)) };
  }

  async claim(wamid: string, leaseMs: number, now?: Date): Promise<MediaRecord | undefined> {
    if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
    /*
     * PostgREST cannot say `attempts = attempts + 1`, so this is a compare-and-set: read the row, then
     * PATCH it with a WHERE that repeats every claim condition and also requires `attempts` to be what we
     * read. Postgres runs the PATCH as one UPDATE; when two claimers race, the second blocks on the row
     * lock and then re-checks the WHERE against the row the first one wrote (attempts moved on, and the
     * row is processing under a live lease), so it matches nothing. Exactly one wins, and attempts + 1 is
     * exact because the row's attempts were still the value read.
     */
    for (let round = 0; round < CLAIM_ROUNDS; round += 1) {
      const clock = now ?? new Date();
      const [row] = await this.#rows(`read ${wamid}`, this.#table().select('*').eq('wamid', clean(wamid)).retry(false));
      if (row === undefined || !claimable(row, clock)) return undefined;
      const attempts = Number(row.attempts);
      const update = {
        status: 'processing', attempts: attempts + 1, next_attempt_at: null, updated_at: new Date().toISOString(),
        lease_until: new Date(clock.getTime() + leaseMs).toISOString(),
      };
      const [claimed] = await this.#rows(`claim ${wamid}`, this.#table().update(update).eq('wamid', clean(wamid))
        .eq('attempts', attempts).or(dueFilter(clock)).select('*').retry(false));
      if (claimed !== undefined) return toRecord(claimed);
    }
    return undefined;
  }

  async markStored(wamid: string, result: StoredResult): Promise<void> {
    await this.#transition(wamid, 'stored', {
      status: 'stored', storage_path: clean(result.storagePath), mime_type: clean(result.mimeType),
      file_size_kb: Math.ceil(result.byteSize / 1024), byte_size: result.byteSize, width: result.width, height: result.height,
      content_sha256: clean(result.contentSha256), original_mime_type: clean(result.originalMimeType),
      original_path: result.originalPath === undefined ? null : clean(result.originalPath), stored_at: new Date().toISOString(),
      lease_until: null, next_attempt_at: null, error_code: null, error_message: null,
    });
  }

  async markFailed(wamid: string, failure: { code: string; message: string }): Promise<void> {
    await this.#transition(wamid, 'failed', {
      status: 'failed', error_code: clean(failure.code), error_message: errorText(failure.message), lease_until: null,
      next_attempt_at: null,
    });
  }

  async scheduleRetry(wamid: string, failure: { code: string; message: string }, nextAttemptAt: Date): Promise<void> {
    await this.#transition(wamid, 'received (retry)', {
      status: 'received', error_code: clean(failure.code), error_message: errorText(failure.message),
      next_attempt_at: nextAttemptAt.toISOString(), lease_until: null,
    });
  }

  /**
   * The same rule as SqlCatalog's one UPDATE, as PATCHes whose filters repeat every condition (so only a
   * row that is still `failed`, retryable and matching moves). PostgREST cannot limit a PATCH, and wamids
   * travel in the URL, so with a limit the oldest matching rows are read first and then moved by wamid,
   * and a long wamid list is moved IN_CHUNK at a time.
   */
  async requeueFailed(filter: RequeueFilter): Promise<string[]> {
    if (filter.codes?.length === 0 || filter.wamids?.length === 0) return [];
    const wamidChunks = filter.wamids === undefined ? [undefined] : chunked([...new Set(filter.wamids)], IN_CHUNK);
    let targets = wamidChunks;
    if (filter.limit !== undefined) {
      const limit = clampLimit(filter.limit, LIST_MAX);
      const found: Row[] = [];
      for (const wamids of wamidChunks) {
        found.push(...await this.#rows('find failed rows', requeueable(this.#table().select('wamid,created_at,seq'), { ...filter, wamids })
          .order('created_at', { ascending: true }).order('seq', { ascending: true }).limit(limit).retry(false)));
      }
      const picked = found.sort(oldestFirst).slice(0, limit).map((row) => String(row.wamid));
      if (picked.length === 0) return [];
      targets = chunked(picked, IN_CHUNK);
    }
    const moved: Row[] = [];
    for (const wamids of targets) {
      const update = { status: 'received', attempts: 0, next_attempt_at: null, lease_until: null, updated_at: new Date().toISOString() };
      moved.push(...await this.#rows('requeue failed rows', requeueable(this.#table().update(update), { ...filter, wamids })
        .select('wamid,created_at,seq').retry(false)));
    }
    return moved.sort(oldestFirst).map((row) => String(row.wamid));
  }

  async findDue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.#rows('find due rows', this.#table().select('wamid').or(dueFilter(now))
      .order('created_at', { ascending: true }).order('seq', { ascending: true }).limit(clampLimit(limit, DUE_MAX)).retry(false));
    return rows.map((row) => String(row.wamid));
  }

  async nextRetryAt(): Promise<Date | undefined> {
    const [row] = await this.#rows('find the next retry', this.#table().select('next_attempt_at').eq('status', 'received')
      .not('next_attempt_at', 'is', null).order('next_attempt_at', { ascending: true }).limit(1).retry(false));
    return optionalDate(row?.next_attempt_at);
  }

  async get(wamid: string): Promise<MediaRecord | undefined> {
    const [row] = await this.#rows(`read ${wamid}`, this.#table().select('*').eq('wamid', clean(wamid)).retry(false));
    return row === undefined ? undefined : toRecord(row);
  }

  async list(query: ListQuery = {}): Promise<MediaRecord[]> {
    let request = this.#table().select('*');
    if (query.status !== undefined) request = request.eq('status', query.status);
    const rows = await this.#rows('list rows', request.order('created_at', { ascending: false }).order('seq', { ascending: false })
      .limit(clampLimit(query.limit ?? LIST_DEFAULT, LIST_MAX)).retry(false));
    return rows.map(toRecord);
  }

  /** supabase-js holds no connection of its own (HTTP keep-alive belongs to fetch), so there is nothing to end. */
  async close(): Promise<void> {}

  #table() {
    return this.#client.from(TABLE);
  }

  async #rows(action: string, request: PromiseLike<Response>): Promise<Row[]> {
    const { data, error, status } = await request;
    if (error !== null) throw postgrestError(action, error, status);
    return Array.isArray(data) ? (data as Row[]) : [];
  }

  /**
   * ON CONFLICT (wamid) DO NOTHING never raises 23505 for the wamid, but another unique key can (a
   * user's own constraint, a proxy or PostgREST version that drops on_conflict). The failed statement
   * wrote nothing, so retry row by row: a row that then conflicts counts as "already there" only when
   * its wamid really is there; otherwise the conflict is reported, never swallowed.
   */
  async #insert(chunk: readonly AcceptedMedia[]): Promise<Row[]> {
    const { data, error, status } = await this.#table().upsert(chunk.map(acceptRow), { onConflict: 'wamid', ignoreDuplicates: true })
      .select('wamid,status').retry(false);
    if (error === null) return Array.isArray(data) ? (data as Row[]) : [];
    if (error.code === '23505' && chunk.length > 1) {
      const rows: Row[] = [];
      for (const item of chunk) rows.push(...(await this.#insert([item])));
      return rows;
    }
    if (error.code === '23505' && chunk[0] !== undefined && (await this.get(chunk[0].wamid)) !== undefined) return [];
    throw postgrestError(`accept ${chunk.length} row(s)`, error, status);
  }

  /** Same rule as SqlCatalog: only a `processing` row moves, and losing that race is reported, naming the state. */
  async #transition(wamid: string, target: string, values: Row): Promise<void> {
    const changed = await this.#rows(`move ${wamid} to ${target}`, this.#table().update({ ...values, updated_at: new Date().toISOString() })
      .eq('wamid', clean(wamid)).eq('status', 'processing').select('wamid').retry(false));
    if (changed.length > 0) return;
    const [current] = await this.#rows(`read ${wamid}`, this.#table().select('status').eq('wamid', clean(wamid)).retry(false));
    const state = current === undefined ? 'missing' : String(current.status);
    throw permanent('catalog_conflict', `Cannot move ${wamid} to ${target}: the row is ${state}, not processing`);
  }
}

/** Opens the catalog on Supabase's REST API; refuses an anon/publishable key and a table that lags behind. */
export async function openSupabaseCatalog(config: SupabaseConfig, options: SupabaseServerClientOptions = {}): Promise<SupabaseCatalog> {
  assertServiceKey(config.key);
  const catalog = new SupabaseCatalog(createSupabaseServerClient(config, options));
  await catalog.checkSchema();
  return catalog;
}

/** SqlCatalog's "received and due, or processing with a lapsed lease" as a PostgREST logic tree. */
function dueFilter(now: Date): string {
  const at = `"${now.toISOString()}"`;
  return `and(status.eq.received,or(next_attempt_at.is.null,next_attempt_at.lte.${at})),` +
    `and(status.eq.processing,or(lease_until.is.null,lease_until.lt.${at}))`;
}

/** The filters a failed row must pass to be requeued, on a GET or a PATCH (see Catalog.requeueFailed). */
function requeueable<Q extends { filter(column: string, operator: string, value: unknown): Q }>(request: Q, filter: RequeueFilter): Q {
  let q = request.filter('status', 'eq', 'failed').filter('media_id', 'not.is', 'null');
  // LIKE's `_` matches any one character: escape it, so `meta_` means exactly that prefix (`*` is PostgREST's `%`).
  for (const prefix of NEVER_REQUEUED_PREFIXES) q = q.filter('error_code', 'not.like', `${prefix.replaceAll('_', '\\_')}*`);
  if (filter.codes !== undefined) q = q.filter('error_code', 'in', inList(filter.codes));
  if (filter.wamids !== undefined) q = q.filter('wamid', 'in', inList(filter.wamids));
  if (filter.since !== undefined) q = q.filter('updated_at', 'gte', filter.since.toISOString());
  return q;
}

/**
 * `(v1,v2)` for an `in` filter with every value double-quoted and `"`/`\` escaped: postgrest-js's own `in()`
 * quotes only values holding `,()`, so a value with a quote or backslash would change the filter's meaning.
 */
function inList(values: readonly string[]): string {
  return `(${values.map((value) => `"${clean(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')})`;
}

function oldestFirst(a: Row, b: Row): number {
  const byTime = Date.parse(String(a.created_at)) - Date.parse(String(b.created_at));
  return byTime !== 0 ? byTime : Number(a.seq) - Number(b.seq);
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function claimable(row: Row, now: Date): boolean {
  const nextAt = optionalDate(row.next_attempt_at);
  const leaseUntil = optionalDate(row.lease_until);
  if (row.status === 'received') return nextAt === undefined || nextAt <= now;
  return row.status === 'processing' && (leaseUntil === undefined || leaseUntil < now);
}

function acceptRow(item: AcceptedMedia): Row {
  // Every key on every row (null, never undefined): postgrest-js builds `columns=` from the keys, and
  // JSON.stringify would drop an undefined one.
  const text = (value: string | undefined) => (value === undefined ? null : clean(value));
  return {
    wamid: clean(item.wamid), status: item.metaError ? 'failed' : 'received', media_kind: item.kind,
    media_id: text(item.mediaId), announced_mime_type: text(item.announcedMimeType), announced_sha256: text(item.announcedSha256),
    media_url: text(item.mediaUrl), original_caption: text(item.caption), filename: text(item.filename),
    animated: item.animated ?? null, forwarded: item.forwarded, sender_phone: text(item.senderPhone),
    sender_user_id: text(item.senderUserId), phone_number_id: text(item.phoneNumberId), waba_id: text(item.wabaId),
    message_timestamp: item.messageTimestamp.toISOString(), error_code: text(item.metaError?.code),
    error_message: item.metaError ? errorText(item.metaError.message) : null,
  };
}

/** NUL (which Postgres text cannot hold) → U+FFFD, as SqlCatalog does. */
function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

function errorText(message: string): string {
  const text = clean(message);
  return text.length > ERROR_MESSAGE_MAX ? `${text.slice(0, ERROR_MESSAGE_MAX - 1)}…` : text;
}

function clampLimit(limit: number, max: number): number {
  if (!Number.isFinite(limit)) return max;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}
