/** Small statistics helpers; every input array is left untouched. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of an unsorted array; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function fmt(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

export const fmtMs = (ms: number | undefined, digits = 1): string => `${fmt(ms, digits)} ms`;
export const fmtMb = (bytes: number | undefined): string => `${fmt(bytes === undefined ? undefined : bytes / 1024 / 1024, 0)} MB`;
export const fmtRatio = (ratio: number | undefined): string => (ratio === undefined ? '—' : `${fmt(ratio * 100, 0)} %`);

/** CPU time (user + system, every thread of this process: main, libuv pool, libvips) in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
