import type { FastifyPluginAsync } from 'fastify';
import { equalSecrets } from '../../shared/equal-secrets.ts';

/** Meta's subscription handshake: echo hub.challenge byte for byte when the verify token matches. */
export const webhookVerifyRoute: FastifyPluginAsync<{ verifyToken: string | undefined }> = async (app, options) => {
  app.get('/webhook', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const mode = query['hub.mode'];
    const token = query['hub.verify_token'];
    const challenge = query['hub.challenge'];
    if (!options.verifyToken) {
      request.log.warn('webhook verification refused: WEBHOOK_VERIFY_TOKEN is not set');
      return reply.code(403).type('text/plain').send('Forbidden');
    }
    if (mode !== 'subscribe' || token === undefined || challenge === undefined || !equalSecrets(token, options.verifyToken)) {
      request.log.warn({ mode }, 'webhook verification refused');
      return reply.code(403).type('text/plain').send('Forbidden');
    }
    request.log.info('webhook verified by Meta');
    return reply.code(200).type('text/plain').send(challenge);
  });
};

