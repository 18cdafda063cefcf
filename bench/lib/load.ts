import autocannon from 'autocannon';
import type { SignedPost } from './webhooks.ts';

export interface LoadResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  achievedRate: number;
  /** Every response's time from write to complete answer, in ms (our own record, no correction applied). */
  latencies: number[];
  /** autocannon's own histogram, for comparison. */
  autocannon: { p50: number; p99: number; max: number };
  statusCodes: Record<string, number>;
}

/**
 * autocannon at `rate` requests/s over `connections` for `durationS`, each request taking the next body of
 * `posts` (so every POST carries its own wamid and signature). Note autocannon's rate limit is a per-second
 * quota per connection: each second starts with up to `connections` requests in flight until the quota is
 * used, so arrivals are burstier than a smooth 500/s (a harsher test, not a gentler one). Its coordinated-
 * omission correction assumes a 1 ms interval at these rates, so it is off and the latencies are our own.
 */
export async function runLoad(url: string, posts: readonly SignedPost[], options: { rate: number; connections: number; durationS: number }): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  const instance = autocannon({
    url: `${url}/webhook`,
    connections: options.connections,
    overallRate: options.rate,
    duration: options.durationS,
    ignoreCoordinatedOmission: true,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const post = posts[next++];
          if (!post) throw new Error(`the pool of ${posts.length} signed bodies ran out; make it larger`);
          return { ...request, headers: { 'content-type': 'application/json', 'x-hub-signature-256': post.signature }, body: post.body };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, stat]) => [code, Number(stat.count)]));
  const sent = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    sent,
    ok: statusCodes['200'] ?? 0,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    achievedRate: sent / result.duration,
    latencies,
    autocannon: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    statusCodes,
  };
}
