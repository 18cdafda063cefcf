import type { FastifyError, FastifyInstance } from 'fastify';

/** One place that turns errors into answers; request bodies are never echoed or logged. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, path: request.routeOptions.url }, 'request failed');
      return reply.code(status).send({ error: 'internal_error', message: 'The request could not be handled; see the service log.' });
    }
    request.log.warn({ code: error.code, status, path: request.routeOptions.url }, error.message);
    return reply.code(status).send({ error: error.code ?? 'bad_request', message: error.message });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', message: 'No such route.' }));
}
