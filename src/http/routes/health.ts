import type { FastifyPluginAsync } from 'fastify';
import type { Catalog } from '../../catalog/catalog.ts';

export const healthRoute: FastifyPluginAsync<{ catalog: Catalog }> = async (app, options) => {
  app.get('/healthz', async (_request, reply) => {
    try {
      await options.catalog.list({ limit: 1 });
      return { ok: true };
    } catch {
      return reply.code(503).send({ ok: false, problem: 'catalog unreachable' });
    }
  });
};
