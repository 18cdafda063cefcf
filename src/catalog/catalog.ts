import type { AcceptedMedia, MediaRecord, MediaStatus, StoredResult } from './media-record.ts';

export interface ListQuery {
  status?: MediaStatus | undefined;
  limit?: number | undefined;
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

  /** Wamids that need (re)dispatching now: received and due, or processing with a lapsed lease. */
  findDue(now: Date, limit: number): Promise<string[]>;

  /** The earliest next_attempt_at among rows waiting to retry, so a dispatcher can set one timer. */
  nextRetryAt(): Promise<Date | undefined>;

  get(wamid: string): Promise<MediaRecord | undefined>;

  /** Newest first (by created_at). */
  list(query?: ListQuery): Promise<MediaRecord[]>;

  close(): Promise<void>;
}
