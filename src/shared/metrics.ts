/** In-memory counters, exposed in Prometheus' text format at GET /metrics. */
export class Metrics {
  readonly #counters = new Map<string, number>();

  increment(name: string, by = 1, labels: Record<string, string> = {}): void {
    const key = seriesKey(name, labels);
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + by);
  }

  value(name: string, labels: Record<string, string> = {}): number {
    return this.#counters.get(seriesKey(name, labels)) ?? 0;
  }

  toPrometheus(): string {
    return [...this.#counters.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key} ${value}`)
      .join('\n')
      .concat('\n');
  }
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/[^A-Za-z0-9_.:-]/g, '_')}"`);
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}
