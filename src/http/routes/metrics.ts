import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../shared/metrics.ts';

export const metricsRoute: FastifyPluginAsync<{ metrics: Metrics }> = async (app, options) => {
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(options.metrics.toPrometheus()));
};
