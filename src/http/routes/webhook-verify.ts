import type { FastifyPluginAsync } from 'fastify';
import { equalSecrets } from '../../shared/equal-secrets.ts';

/** Meta's subscription handshake: echo hub.challenge byte for byte when the verify token matches. */
export const webhookVerifyRoute: FastifyPluginAsync<{ verifyToken: string | undefined }> = async (app, options) => {
  app.get('/webhook', async (request, reply) => {
    // A repeated parameter arrives as an array: Meta never sends one, so it is refused like a wrong token.
    const query = request.query as Record<string, unknown>;
    const single = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
    const mode = single('hub.mode');
    const token = single('hub.verify_token');
    const challenge = single('hub.challenge');
    if (!options.verifyToken) {
      request.log.warn('webhook verification refused: WEBHOOK_VERIFY_TOKEN is not set');
      return reply.code(403).type('text/plain').send('Forbidden');
    }
    if (mode !== 'subscribe' || token === undefined || challenge === undefined || !equalSecrets(token, options.verifyToken)) {
      request.log.warn('webhook verification refused');
      return reply.code(403).type('text/plain').send('Forbidden');
    }
    request.log.info('webhook verified by Meta');
    return reply.code(200).type('text/plain').send(challenge);
  });
};

