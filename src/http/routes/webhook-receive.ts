import type { FastifyPluginAsync } from 'fastify';
import type { WebhookIngress } from '../../ingress/webhook-ingress.ts';

/** POST /webhook: the raw bytes go to the ingress untouched, because the signature covers exactly them. */
export const webhookReceiveRoute: FastifyPluginAsync<{ ingress: WebhookIngress; bodyLimitBytes: number }> = async (app, options) => {
  // Scoped to this plugin: every content type arrives as the raw Buffer, never as re-serialised JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => {
    done(null, body);
  });

  // Unsigned POSTs are turned away before their body is read: nobody gets to make us buffer megabytes for free.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && !request.headers['x-hub-signature-256']) {
      return reply.code(401).send({ error: 'rejected', message: 'X-Hub-Signature-256 header is missing' });
    }
  });

  app.post('/webhook', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = request.headers['x-hub-signature-256'];
    const outcome = await options.ingress(body, Array.isArray(header) ? header[0] : header);
    if (outcome.status === 200) {
      return reply.code(200).send({ ok: true, accepted: outcome.accepted, duplicates: outcome.duplicates });
    }
    return reply.code(outcome.status).send({ error: 'rejected', message: outcome.reason });
  });
};
