import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { equalSecrets } from '../../shared/equal-secrets.ts';

const listQuery = z.object({
  status: z.enum(['received', 'processing', 'stored', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * GET /admin/media: the catalog as `media-vault list` shows it. It exists because PGlite allows one
 * process per data directory, so the CLI reads through the running service. Bearer ADMIN_TOKEN only.
 */
export const adminMediaRoute: FastifyPluginAsync<{ catalog: Catalog; adminToken: string | undefined }> = async (app, options) => {
  app.get('/admin/media', async (request, reply) => {
    if (!options.adminToken || !equalSecrets(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '', options.adminToken)) {
      return reply.code(401).send({ error: 'unauthorized', message: 'A valid admin token is required.' });
    }
    const query = listQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'bad_query', message: query.error.issues[0]?.message });
    return { items: await options.catalog.list(query.data) };
  });
};

