import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FaultBook, OFFSITE_URL, OVERSIZE_ANNOUNCED } from './graph-standin-faults.ts';
import type { StandinMedia } from './graph-standin-media.ts';

/** One request as the stand-in saw it. The query (signed URL, ids) is left out of `path`. */
export interface StandinRequest {
  method: string;
  path: string;
  authorized: boolean;
  userAgent: string | undefined;
  phoneNumberId: string | undefined;
}

export interface MediaCounters {
  lookups: number;
  downloads: number;
}

export interface StandinState {
  accessToken: string;
  media: Map<string, StandinMedia>;
  urlTtlMs: number;
  signingKey: Buffer;
  faults: FaultBook;
  log: StandinRequest[];
  counters: Map<string, MediaCounters>;
  /** Responses held open by the 'hang' fault, ended on close. */
  hanging: Set<FastifyReply['raw']>;
  baseUrl(): string;
}

/** The lookaside-like download path (real: https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=…). */
export const DOWNLOAD_PATH = '/whatsapp_business/attachments/';

const HTML_PAGE = '<!DOCTYPE html><html><head><title>Error</title></head><body>Sorry, something went wrong.</body></html>';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function isAuthorized(state: StandinState, header: string | undefined): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), digest(state.accessToken));
}

function graphError(code: number, message: string, type: string, extra: Record<string, unknown> = {}) {
  return { error: { message, type, code, ...extra, fbtrace_id: randomBytes(8).toString('base64url') } };
}

const tokenError = () => graphError(190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');

// Real Graph answers a missing id with type GraphMethodException (seen in Graph SDK issue threads).
const unknownObject = (id: string) =>
  graphError(
    100,
    `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    'GraphMethodException',
    { error_subcode: 33 },
  );

function sign(state: StandinState, mediaId: string, expiresAt: number): string {
  return createHmac('sha256', state.signingKey).update(`${mediaId}.${expiresAt}`).digest('base64url');
}

function signatureValid(state: StandinState, mediaId: string, ext: string, hash: string): boolean {
  const expected = Buffer.from(sign(state, mediaId, Number(ext)));
  const given = Buffer.from(hash);
  return /^\d+$/.test(ext) && given.length === expected.length && timingSafeEqual(given, expected);
}

function count(state: StandinState, mediaId: string): MediaCounters {
  const counters = state.counters.get(mediaId) ?? { lookups: 0, downloads: 0 };
  state.counters.set(mediaId, counters);
  return counters;
}

function contentTypeOf(media: StandinMedia): string {
  return media.fileName?.toLowerCase().endsWith('.html') ? 'text/html; charset=utf-8' : media.mimeType;
}

export function registerStandinRoutes(app: FastifyInstance, state: StandinState): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const query = request.query as Record<string, unknown> | undefined;
    const phone = query?.phone_number_id;
    state.log.push({
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      authorized: isAuthorized(state, request.headers.authorization),
      userAgent: request.headers['user-agent'],
      phoneNumberId: typeof phone === 'string' ? phone : undefined,
    });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(DOWNLOAD_PATH, async (request, reply) => {
    const { mid, ext, hash } = request.query;
    if (!mid || !ext || !hash || !signatureValid(state, mid, ext, hash)) {
      return reply.code(404).type('text/plain').send('Not Found');
    }
    count(state, mid).downloads += 1;
    if (!isAuthorized(state, request.headers.authorization)) return reply.code(401).send(tokenError());
    const media = state.media.get(mid);
    if (!media) return reply.code(404).type('text/plain').send('Not Found');
    if (Date.now() > Number(ext)) return reply.code(401).type('text/plain').send('URL signature expired');
    const fault = state.faults.takeDownload(mid);
    switch (fault) {
      case 'download-500':
        return reply.code(500).type('text/plain').send('Internal Server Error');
      case 'download-expired-401':
        return reply.code(401).type('text/plain').send('URL signature expired');
      case 'download-404':
        return reply.code(404).type('text/plain').send('Not Found');
      case 'html':
        return reply.code(200).type('text/html; charset=utf-8').send(HTML_PAGE);
      case 'redirect-offsite':
        return reply.redirect(`${OFFSITE_URL}?mid=${encodeURIComponent(mid)}`, 302);
      case 'hang': {
        // Headers and half the body, then nothing: only a client timeout (or close()) ends this.
        reply.hijack();
        const raw = reply.raw;
        state.hanging.add(raw);
        raw.on('close', () => state.hanging.delete(raw));
        raw.writeHead(200, { 'content-type': contentTypeOf(media), 'content-length': String(media.bytes.length) });
        raw.write(media.bytes.subarray(0, Math.floor(media.bytes.length / 2)));
        return reply;
      }
      case 'wrong-bytes': {
        const bytes = media.bytes.length > 0 ? Buffer.from(media.bytes) : Buffer.from([0]);
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
        return reply.code(200).type(contentTypeOf(media)).send(bytes);
      }
      case undefined:
        return reply.code(200).type(contentTypeOf(media)).header('cache-control', 'private, max-age=300').send(media.bytes);
    }
  });

  app.get<{ Params: { version: string; mediaId: string } }>('/:version/:mediaId', async (request, reply) => {
    const { version, mediaId } = request.params;
    if (!/^v\d+\.\d+$/.test(version)) {
      return reply.code(400).send(graphError(2500, `Unknown path components: /${version}`, 'OAuthException'));
    }
    count(state, mediaId).lookups += 1;
    if (!isAuthorized(state, request.headers.authorization)) return reply.code(401).send(tokenError());
    const fault = state.faults.takeLookup(mediaId);
    switch (fault) {
      case 'lookup-500':
        return reply
          .code(500)
          .send(graphError(2, 'An unexpected error has occurred. Please retry your request later.', 'OAuthException', { is_transient: true }));
      case 'lookup-429':
        return reply.code(429).send(graphError(4, 'Application request limit reached', 'OAuthException', { is_transient: true }));
      case 'graph-error-100':
        return reply.code(400).send(unknownObject(mediaId));
      case 'graph-error-190':
        return reply.code(401).send(tokenError());
      case 'oversize-announced':
      case undefined:
        break;
    }
    const media = state.media.get(mediaId);
    if (!media) return reply.code(400).send(unknownObject(mediaId));
    const expiresAt = Date.now() + state.urlTtlMs;
    const url = new URL(DOWNLOAD_PATH, state.baseUrl());
    url.search = new URLSearchParams({ mid: mediaId, ext: String(expiresAt), hash: sign(state, mediaId, expiresAt) }).toString();
    return reply.send({
      messaging_product: 'whatsapp',
      url: url.href,
      mime_type: media.mimeType,
      sha256: createHash('sha256').update(media.bytes).digest('hex'),
      file_size: fault === 'oversize-announced' ? OVERSIZE_ANNOUNCED : media.bytes.length,
      id: mediaId,
    });
  });
}
