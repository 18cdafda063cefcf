import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.ts';
import type { WorkQueue } from '../dispatch/work-queue.ts';
import type { WebhookIngress } from '../ingress/webhook-ingress.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { registerErrorHandler } from './error-handler.ts';
import { adminMediaRoute } from './routes/admin-media.ts';
import { adminRetryRoute } from './routes/admin-retry.ts';
import { healthRoute } from './routes/health.ts';
import { metricsRoute } from './routes/metrics.ts';
import { webhookReceiveRoute } from './routes/webhook-receive.ts';
import { webhookVerifyRoute } from './routes/webhook-verify.ts';

export interface AppDeps {
  logger: Logger;
  ingress: WebhookIngress;
  catalog: Catalog;
  /** Where POST /admin/retry dispatches the rows it requeues, so they start at once. */
  queue: WorkQueue;
  metrics: Metrics;
  verifyToken: string | undefined;
  adminToken: string | undefined;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
}

/** Builds the HTTP app without listening, so tests inject requests and the entry point decides the port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps Fastify's instance type the default one.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Request lines are logged by hand below: the default would log the verify token in GET query strings.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes,
    // A client that trickles its body must not hold a connection (and up to bodyLimit of memory) forever.
    // Node only checks request timeouts every connectionsCheckingInterval (30 s by default), hence the factory.
    serverFactory: (handler) =>
      createServer({ requestTimeout: deps.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, deps.requestTimeoutMs) }, handler),
    return503OnClosing: true,
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, path: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request done',
    );
  });
  registerErrorHandler(app);
  await app.register(webhookVerifyRoute, { verifyToken: deps.verifyToken });
  await app.register(webhookReceiveRoute, { ingress: deps.ingress, bodyLimitBytes: deps.bodyLimitBytes });
  await app.register(healthRoute, { catalog: deps.catalog });
  await app.register(metricsRoute, { metrics: deps.metrics });
  await app.register(adminMediaRoute, { catalog: deps.catalog, adminToken: deps.adminToken });
  await app.register(adminRetryRoute, { catalog: deps.catalog, queue: deps.queue, adminToken: deps.adminToken, metrics: deps.metrics });
  return app;
}
