/**
 * The one error type the pipeline records. `code` is stable and machine-readable (it lands in the
 * catalog's error_code column); `message` is for the person reading the row. `retryable` decides whether
 * the job is tried again later (network, 5xx, 429) or fails at once (bad bytes, missing media, 4xx).
 */
export class PipelineError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** Permanent: retrying cannot help. The pg-boss/BullMQ "don't retry" error. */
export function permanent(code: string, message: string, cause?: unknown): PipelineError {
  return new PipelineError(code, message, { retryable: false, cause });
}

/** Transient: the same call may well succeed later. */
export function transient(code: string, message: string, cause?: unknown): PipelineError {
  return new PipelineError(code, message, { retryable: true, cause });
}

/** Anything thrown that is not a PipelineError is a bug or an unforeseen fault: retry it, but say so. */
export function asPipelineError(error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return transient('internal_error', `Unexpected error: ${message}`, error);
}
