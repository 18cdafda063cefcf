import { permanent } from '../shared/pipeline-error.ts';
import type { Catalog, ListQuery, RequeueFilter } from './catalog.ts';
import type { AcceptedMedia, MediaRecord, StoredResult } from './media-record.ts';
import { optionalDate, toRecord, type Row } from './record-row.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

const ACCEPT_COLUMNS = [
  'wamid', 'status', 'media_kind', 'media_id', 'announced_mime_type', 'announced_sha256', 'media_url',
  'original_caption', 'filename', 'animated', 'forwarded', 'sender_phone', 'sender_user_id',
  'phone_number_id', 'waba_id', 'message_timestamp', 'error_code', 'error_message',
] as const;

// 18 parameters a row; Postgres allows 65535 parameters a statement.
const ACCEPT_CHUNK = 1000;
const LIST_DEFAULT = 100;
const LIST_MAX = 1000;
const DUE_MAX = 10_000;
const ERROR_MESSAGE_MAX = 4000;

// `$n` is the caller's clock when given (tests, a dispatcher with its own timer), else the database's.
const nowParam = (n: number) => `coalesce($${n}::timestamptz, now())`;

const CLAIM_SQL = `
update image_metadata
   set status = 'processing', attempts = attempts + 1, next_attempt_at = null, updated_at = now(),
       lease_until = ${nowParam(3)} + $2::double precision * interval '1 millisecond'
 where wamid = $1
   and ((status = 'received' and (next_attempt_at is null or next_attempt_at <= ${nowParam(3)}))
     or (status = 'processing' and (lease_until is null or lease_until < ${nowParam(3)})))
returning *`;

const STORED_SQL = `
update image_metadata
   set status = 'stored', storage_path = $2, mime_type = $3, file_size_kb = $4, byte_size = $5, width = $6,
       height = $7, content_sha256 = $8, original_mime_type = $9, original_path = $10, stored_at = now(),
       updated_at = now(), lease_until = null, next_attempt_at = null, error_code = null, error_message = null
 where wamid = $1 and status = 'processing'
returning wamid`;

const FAILED_SQL = `
update image_metadata
   set status = 'failed', error_code = $2, error_message = $3, lease_until = null, next_attempt_at = null,
       updated_at = now()
 where wamid = $1 and status = 'processing'
returning wamid`;

const RETRY_SQL = `
update image_metadata
   set status = 'received', error_code = $2, error_message = $3, next_attempt_at = $4, lease_until = null,
       updated_at = now()
 where wamid = $1 and status = 'processing'
returning wamid`;

/*
 * failed → received for the rows the filter picks ($1 codes, $2 wamids, $3 since, $4 limit; NULL = no
 * filter, and LIMIT NULL is no limit). The outer WHERE repeats status = 'failed', so a row that another
 * requeue moved in the meantime is skipped, never moved twice. Rows Meta failed at accept time (meta_…,
 * payload_…) and rows without a media id are never picked: there is nothing to download for them.
 */
const REQUEUE_SQL = `
with moved as (
  update image_metadata
     set status = 'received', attempts = 0, next_attempt_at = null, lease_until = null, updated_at = now()
   where status = 'failed'
     and wamid in (
       select wamid from image_metadata
        where status = 'failed'
          and media_id is not null
          and not starts_with(error_code, 'meta_')
          and not starts_with(error_code, 'payload_')
          and ($1::text[] is null or error_code = any($1::text[]))
          and ($2::text[] is null or wamid = any($2::text[]))
          and ($3::timestamptz is null or updated_at >= $3::timestamptz)
        order by created_at, seq
        limit $4)
  returning wamid, created_at, seq)
select wamid from moved order by created_at, seq`;

const DUE_SQL = `
select wamid from image_metadata
 where (status = 'received' and (next_attempt_at is null or next_attempt_at <= $1))
    or (status = 'processing' and (lease_until is null or lease_until < $1))
 order by created_at, seq
 limit $2`;

const NEXT_RETRY_SQL = `
select min(next_attempt_at) as next_at from image_metadata where status = 'received' and next_attempt_at is not null`;

const LIST_SQL = `
select * from image_metadata
 where ($1::text is null or status = $1)
 order by created_at desc, seq desc
 limit $2`;

/** The Catalog over any SqlClient: PGlite and Postgres run exactly these statements. */
export class SqlCatalog implements Catalog {
  /** The underlying client, for adapters' own checks and for tests that look at raw columns. */
  readonly db: SqlClient;
  #closing: Promise<void> | undefined;

  constructor(db: SqlClient) {
    this.db = db;
  }

  async accept(items: readonly AcceptedMedia[]): Promise<{ newWamids: string[] }> {
    const unique = [...new Map(items.map((item) => [item.wamid, item] as const)).values()];
    if (unique.length === 0) return { newWamids: [] };
    // A fixed row order keeps two concurrent batches with overlapping wamids from deadlocking.
    const sorted = [...unique].sort((a, b) => (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : 0));
    const chunks: AcceptedMedia[][] = [];
    for (let i = 0; i < sorted.length; i += ACCEPT_CHUNK) chunks.push(sorted.slice(i, i + ACCEPT_CHUNK));
    const insertAll = async (q: SqlQueryable) => {
      const inserted = new Set<string>();
      for (const chunk of chunks) {
        const { rows } = await q.query<{ wamid: string; status: string }>(acceptSql(chunk.length), chunk.flatMap(acceptParams));
        for (const row of rows) if (row.status === 'received') inserted.add(row.wamid);
      }
      return inserted;
    };
    const inserted = chunks.length === 1 ? await insertAll(this.db) : await this.db.transaction(insertAll);
    return { newWamids: unique.map((item) => clean(item.wamid)).filter((wamid) => inserted.has(wamid)) };
  }

  async claim(wamid: string, leaseMs: number, now?: Date): Promise<MediaRecord | undefined> {
    if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
    const { rows } = await this.db.query<Row>(CLAIM_SQL, params([wamid, leaseMs, now ?? null]));
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async markStored(wamid: string, result: StoredResult): Promise<void> {
    await this.#transition(wamid, 'stored', STORED_SQL, [
      wamid, result.storagePath, result.mimeType, Math.ceil(result.byteSize / 1024), result.byteSize,
      result.width, result.height, result.contentSha256, result.originalMimeType, result.originalPath ?? null,
    ]);
  }

  async markFailed(wamid: string, failure: { code: string; message: string }): Promise<void> {
    await this.#transition(wamid, 'failed', FAILED_SQL, [wamid, failure.code, errorText(failure.message)]);
  }

  async scheduleRetry(wamid: string, failure: { code: string; message: string }, nextAttemptAt: Date): Promise<void> {
    await this.#transition(wamid, 'received (retry)', RETRY_SQL, [
      wamid, failure.code, errorText(failure.message), nextAttemptAt,
    ]);
  }

  async requeueFailed(filter: RequeueFilter): Promise<string[]> {
    if (filter.codes?.length === 0 || filter.wamids?.length === 0) return [];
    const { rows } = await this.db.query<{ wamid: string }>(REQUEUE_SQL, [
      filter.codes?.map(clean) ?? null,
      filter.wamids?.map(clean) ?? null,
      filter.since ?? null,
      filter.limit === undefined ? null : clampLimit(filter.limit, Number.MAX_SAFE_INTEGER),
    ]);
    return rows.map((row) => row.wamid);
  }

  async findDue(now: Date, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ wamid: string }>(DUE_SQL, [now, clampLimit(limit, DUE_MAX)]);
    return rows.map((row) => row.wamid);
  }

  async nextRetryAt(): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ next_at: unknown }>(NEXT_RETRY_SQL);
    return optionalDate(rows[0]?.next_at);
  }

  async get(wamid: string): Promise<MediaRecord | undefined> {
    const { rows } = await this.db.query<Row>('select * from image_metadata where wamid = $1', params([wamid]));
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(query: ListQuery = {}): Promise<MediaRecord[]> {
    const limit = clampLimit(query.limit ?? LIST_DEFAULT, LIST_MAX);
    const { rows } = await this.db.query<Row>(LIST_SQL, [query.status ?? null, limit]);
    return rows.map(toRecord);
  }

  close(): Promise<void> {
    this.#closing ??= this.db.close();
    return this.#closing;
  }

  /**
   * Every transition is allowed only from `processing`, so a worker whose lease lapsed can never undo
   * what the worker that took over has recorded. Losing that race is reported, never silently ignored.
   */
  async #transition(wamid: string, target: string, sql: string, values: unknown[]): Promise<void> {
    const { rows } = await this.db.query(sql, params(values));
    if (rows.length > 0) return;
    const current = await this.db.query<{ status: string }>('select status from image_metadata where wamid = $1', params([wamid]));
    const state = current.rows[0]?.status ?? 'missing';
    throw permanent('catalog_conflict', `Cannot move ${wamid} to ${target}: the row is ${state}, not processing`);
  }
}

function acceptSql(count: number): string {
  const width = ACCEPT_COLUMNS.length;
  const tuples = Array.from({ length: count }, (_, row) => {
    const slots = Array.from({ length: width }, (_, col) => `$${row * width + col + 1}`);
    return `(${slots.join(', ')})`;
  });
  return `insert into image_metadata (${ACCEPT_COLUMNS.join(', ')}) values ${tuples.join(', ')}
    on conflict (wamid) do nothing returning wamid, status`;
}

function acceptParams(item: AcceptedMedia): unknown[] {
  return params([
    item.wamid, item.metaError ? 'failed' : 'received', item.kind, item.mediaId, item.announcedMimeType,
    item.announcedSha256, item.mediaUrl, item.caption, item.filename, item.animated, item.forwarded,
    item.senderPhone, item.senderUserId, item.phoneNumberId, item.wabaId, item.messageTimestamp,
    item.metaError?.code, item.metaError ? errorText(item.metaError.message) : undefined,
  ]);
}

/** undefined → NULL, and NUL characters (which Postgres text cannot hold) → U+FFFD, so odd input never fails a write. */
function params(values: readonly unknown[]): unknown[] {
  return values.map((value) => (value === undefined ? null : typeof value === 'string' ? clean(value) : value));
}

function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

function errorText(message: string): string {
  return message.length > ERROR_MESSAGE_MAX ? `${message.slice(0, ERROR_MESSAGE_MAX - 1)}…` : message;
}

function clampLimit(limit: number, max: number): number {
  if (!Number.isFinite(limit)) return max;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}
