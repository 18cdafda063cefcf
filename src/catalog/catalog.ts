import type { AcceptedMedia, MediaRecord, MediaStatus, StoredResult } from './media-record.ts';

export interface ListQuery {
  status?: MediaStatus | undefined;
  limit?: number | undefined;
}

/**
 * Which `failed` rows to try again. Every given field must match (AND); a field left out does not filter,
 * and an empty list matches nothing. `{}` means every retryable failed row.
 */
export interface RequeueFilter {
  /** Only rows whose error_code is one of these. */
  codes?: readonly string[] | undefined;
  /** Only these rows. */
  wamids?: readonly string[] | undefined;
  /** Only rows that failed at or after this time (a failed row's updated_at is the moment it failed). */
  since?: Date | undefined;
  /** At most this many rows, oldest first (their media ids expire first). */
  limit?: number | undefined;
}

/**
 * Error-code prefixes of rows that failed at accept time because Meta sent no usable media: `meta_…`
 * (Meta's own errors[], e.g. meta_131051, meta_131052) and `payload_…` (no or a malformed media id). There
 * is nothing to download for them, so no retry can ever succeed and requeueFailed never touches them.
 */
export const NEVER_REQUEUED_PREFIXES = ['meta_', 'payload_'] as const;

/** False for codes requeueFailed always skips (see NEVER_REQUEUED_PREFIXES). */
export function isRequeueableCode(code: string): boolean {
  return !NEVER_REQUEUED_PREFIXES.some((prefix) => code.startsWith(prefix));
}

/**
 * The metadata port: one row per media message, keyed by wamid. Every write is idempotent on the wamid,
 * and every state change is a single conditional UPDATE, so two workers can never both own a row.
 */
export interface Catalog {
  /**
   * Inserts one row per item in one statement/transaction; rows whose wamid exists are left untouched.
   * Items with `metaError` go straight to `failed`. Returns the wamids that were new and need work.
   */
  accept(items: readonly AcceptedMedia[]): Promise<{ newWamids: string[] }>;

  /**
   * Takes ownership of a row for `leaseMs`: only a row that is `received` and due (next_attempt_at
   * empty or past), or `processing` with a lapsed lease, can be claimed. Bumps attempts. Returns the
   * row, or undefined when someone else owns it or it is finished.
   */
  claim(wamid: string, leaseMs: number, now?: Date): Promise<MediaRecord | undefined>;

  /*
   * markStored, markFailed and scheduleRetry change a row only while it is `processing`. Otherwise (the
   * lease lapsed and another worker finished the row, or the wamid is unknown) they change nothing and
   * throw a permanent PipelineError `catalog_conflict` naming the row's actual state.
   */

  /** processing → stored. Clears lease and error fields. */
  markStored(wamid: string, result: StoredResult): Promise<void>;

  /** processing → failed for good, with a code and a readable message. */
  markFailed(wamid: string, failure: { code: string; message: string }): Promise<void>;

  /** processing → received, due again at `nextAttemptAt`; the error is kept as "last error". */
  scheduleRetry(wamid: string, failure: { code: string; message: string }, nextAttemptAt: Date): Promise<void>;

  /**
   * failed → received, due at once, for rows an operator has fixed the cause of (a wrong or expired token,
   * a missing bucket, a wrong key, an outage that outlasted MAX_ATTEMPTS). One conditional UPDATE: only a
   * row that is still `failed` moves. The row gets attempts = 0 (MAX_ATTEMPTS applies afresh), no
   * next_attempt_at and no lease; error_code/error_message stay as the "last error" (as with scheduleRetry)
   * until the next attempt stores the row (which clears them) or fails it again (which overwrites them).
   *
   * Never requeued, whatever the filter asks (even by their code or wamid): rows Meta failed at accept time
   * (error codes starting with `meta_` or `payload_`) and any row without a media id. They carry no media
   * to download, so they can never succeed. Returns the wamids that moved, oldest first; the caller
   * dispatches them (or leaves them to the reconciler, which finds them due).
   */
  requeueFailed(filter: RequeueFilter): Promise<string[]>;

  /** Wamids that need (re)dispatching now: received and due, or processing with a lapsed lease. */
  findDue(now: Date, limit: number): Promise<string[]>;

  /** The earliest next_attempt_at among rows waiting to retry, so a dispatcher can set one timer. */
  nextRetryAt(): Promise<Date | undefined>;

  get(wamid: string): Promise<MediaRecord | undefined>;

  /** Newest first (by created_at). */
  list(query?: ListQuery): Promise<MediaRecord[]>;

  close(): Promise<void>;
}
