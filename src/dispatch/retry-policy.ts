/**
 * Exponential backoff with jitter: attempt 1 waits about `baseMs`, each further attempt doubles, capped at
 * `maxMs`. The jitter (50–100 % of the step) keeps a burst of failures from retrying in lockstep, which
 * matters with Meta: ~20 lookup errors an hour can block media lookups for half an hour.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
