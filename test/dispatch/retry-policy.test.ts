import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/dispatch/retry-policy.ts';

describe('retry backoff', () => {
  it('doubles from the base per attempt, within 50–100 % of the step', () => {
    const lowest = () => 0;
    const highest = () => 0.999999;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, highest))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, lowest))).toEqual([500, 1000, 2000, 4000]);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [10, 50, 1000]) expect(retryDelayMs(attempt, 1000, 60_000)).toBeLessThanOrEqual(60_000);
  });

  it('spreads a burst of failures instead of retrying them in lockstep', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, 1000, 60_000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
