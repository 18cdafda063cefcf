import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.ts';
import type { WorkQueue } from '../../dispatch/work-queue.ts';
import { equalSecrets } from '../../shared/equal-secrets.ts';
import type { Metrics } from '../../shared/metrics.ts';

const retryBody = z
  .object({
    codes: z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'an error code is letters, digits and _ . : -')).min(1).max(100).optional(),
    wamids: z.array(z.string().min(1).max(512)).min(1).max(10_000).optional(),
    all: z.literal(true).optional(),
  })
  .strict()
  .refine((body) => body.codes !== undefined || body.wamids !== undefined || body.all === true, {
    message: 'Say which failed rows to retry: codes, wamids, or all: true.',
  })
  .refine((body) => !(body.all === true && (body.codes !== undefined || body.wamids !== undefined)), {
    message: 'all: true retries every retryable failed row; leave codes and wamids out with it.',
  });

export interface AdminRetryOptions {
  catalog: Catalog;
  queue: WorkQueue;
  adminToken: string | undefined;
  metrics: Metrics;
}

/**
 * POST /admin/retry: moves `failed` rows an operator has fixed the cause of (a token, a bucket, a key, an
 * outage) back to `received` and starts them at once; `media-vault retry` goes through it while the
 * service owns the PGlite catalog. Body `{ codes?, wamids? }` or `{ all: true }`: an empty body is refused,
 * because retrying every failed row by accident can burn Graph's lookup error budget on dead media ids.
 * Rows Meta failed at accept time (meta_…, payload_…) are never retried (see Catalog.requeueFailed).
 * Bearer ADMIN_TOKEN only.
 */
export const adminRetryRoute: FastifyPluginAsync<AdminRetryOptions> = async (app, options) => {
  app.post('/admin/retry', async (request, reply) => {
    if (!options.adminToken || !equalSecrets(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '', options.adminToken)) {
      return reply.code(401).send({ error: 'unauthorized', message: 'A valid admin token is required.' });
    }
    const body = retryBody.safeParse(request.body);
    if (!body.success) {
      const issue = body.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return reply.code(400).send({ error: 'bad_body', message: `${where}${issue?.message ?? 'invalid body'}` });
    }
    const wamids = await options.catalog.requeueFailed({ codes: body.data.codes, wamids: body.data.wamids });
    let dispatched = 0;
    for (const wamid of wamids) {
      try {
        await options.queue.enqueue(wamid);
        dispatched += 1;
      } catch (error) {
        // The row is received and due in the catalog: the reconciler dispatches it on its next sweep.
        request.log.warn({ err: error, wamid }, 'requeued media not dispatched; the reconciler will pick it up');
      }
    }
    if (wamids.length > 0) options.metrics.increment('media_requeued_total', wamids.length);
    request.log.info({ requeued: wamids.length, dispatched, codes: body.data.codes, wamidCount: body.data.wamids?.length, all: body.data.all }, 'failed media requeued');
    return { requeued: wamids.length, wamids };
  });
};
