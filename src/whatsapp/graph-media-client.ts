import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { PipelineError, permanent, transient } from '../shared/pipeline-error.ts';
import { classifyLookupFailure, decodeSha256 } from './graph-errors.ts';
import { type Exchange, type HttpContext, describeUrl, discard, fetchFollowing, readCapped } from './graph-http.ts';

export interface GraphMediaClientOptions {
  /** e.g. https://graph.facebook.com (no version). */
  baseUrl: string;
  /** e.g. v24.0 */
  version: string;
  accessToken: string;
  phoneNumberId: string | undefined;
  /** Hosts any fetched URL may have, including every redirect hop (`*.example.com` admits subdomains). */
  allowedHosts: readonly string[];
  userAgent: string;
  /** Bounds each exchange (lookup; download) including its redirects and the whole body. */
  timeoutMs: number;
}

export interface MediaDownloadRequest {
  mediaId: string;
  maxBytes: number;
  /** The webhook's sha256 of the media, base64 or hex. */
  expectedSha256?: string | undefined;
  /** A URL the webhook carried on the media object: tried first, the lookup is the fallback. */
  mediaUrl?: string | undefined;
}

export interface DownloadedMedia {
  bytes: Buffer;
  /** The lookup's mime_type, else the download's Content-Type. Never trusted for processing. */
  mimeType: string | undefined;
}

export interface GraphMediaClient {
  download(request: MediaDownloadRequest): Promise<DownloadedMedia>;
}

const lookupSchema = z.object({
  url: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  file_size: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  id: z.union([z.string(), z.number()]).optional(),
});

interface MediaInfo {
  url: string;
  mimeType: string | undefined;
  sha256: string | undefined;
  fileSize: number | undefined;
}

/** A 401/404 from the download: the URL is stale (lookaside URLs live 5 minutes), get a new one. */
interface StaleUrl {
  staleStatus: number;
}

const LOOKUP_BODY_LIMIT = 256 * 1024;

export function createGraphMediaClient(options: GraphMediaClientOptions): GraphMediaClient {
  if (!options.accessToken) throw new Error('Graph media client: an access token is required');
  if (!(options.timeoutMs > 0)) throw new Error('Graph media client: timeoutMs must be positive');
  const ctx: HttpContext = {
    accessToken: options.accessToken,
    allowedHosts: options.allowedHosts,
    graphOrigin: new URL(options.baseUrl).origin,
    userAgent: options.userAgent,
    timeoutMs: options.timeoutMs,
  };
  const base = options.baseUrl.replace(/\/+$/, '');
  const version = options.version.replace(/^\/+|\/+$/g, '');
  const exchange = (what: string): Exchange => ({ what, signal: AbortSignal.timeout(options.timeoutMs) });

  async function lookup(mediaId: string): Promise<MediaInfo> {
    const url = new URL(`${base}/${encodeURIComponent(version)}/${encodeURIComponent(mediaId)}`);
    if (options.phoneNumberId) url.searchParams.set('phone_number_id', options.phoneNumberId);
    const io = exchange(`Graph media lookup for ${mediaId}`);
    const { response } = await fetchFollowing(ctx, url.href, 'application/json', io);
    const tooLarge = () => transient('graph_bad_response', `${io.what}: answer larger than ${LOOKUP_BODY_LIMIT} bytes`);
    const body = (await readCapped(response, LOOKUP_BODY_LIMIT, tooLarge, io, ctx.timeoutMs)).toString('utf8');
    if (!response.ok) throw classifyLookupFailure(response.status, body, io.what);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw transient('graph_bad_response', `${io.what}: HTTP ${response.status} answer is not JSON`);
    }
    const parsed = lookupSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw transient('graph_bad_response', `${io.what}: unexpected answer shape (${issues.join('; ')})`);
    }
    const info = parsed.data;
    return { url: info.url, mimeType: info.mime_type, sha256: info.sha256, fileSize: info.file_size };
  }

  async function attempt(url: string, request: MediaDownloadRequest, info: MediaInfo | undefined): Promise<DownloadedMedia | StaleUrl> {
    const { mediaId, maxBytes } = request;
    const tooLarge = (size: string) =>
      permanent('media_too_large', `Media ${mediaId} is ${size}, over the limit of ${maxBytes} bytes`);
    if (info?.fileSize !== undefined && info.fileSize > maxBytes) throw tooLarge(`announced by Graph as ${info.fileSize} bytes`);
    const io = exchange(`Media download for ${mediaId}`);
    const { response, url: finalUrl } = await fetchFollowing(ctx, url, '*/*', io);
    const status = response.status;
    const from = `HTTP ${status} from ${describeUrl(finalUrl)}`;
    if (status === 401 || status === 404) {
      await discard(response);
      return { staleStatus: status };
    }
    if (status < 200 || status > 299) {
      await discard(response);
      if (status === 429 || status >= 500) throw transient('media_download_failed', `${io.what} failed: ${from}`);
      throw permanent('graph_request_rejected', `${io.what} was rejected: ${from}`);
    }
    const contentType = response.headers.get('content-type')?.trim() || undefined;
    const essence = contentType?.split(';')[0]?.trim().toLowerCase();
    if (essence === 'text/html' || essence === 'application/xhtml+xml') {
      await discard(response);
      throw permanent(
        'media_download_html',
        `${io.what} returned an HTML page instead of media (${from}, ${contentType}); the media host refused the request`,
      );
    }
    const contentLength = response.headers.get('content-length')?.trim();
    if (contentLength && /^\d+$/.test(contentLength) && Number(contentLength) > maxBytes) {
      await discard(response);
      throw tooLarge(`announced by Content-Length as ${contentLength} bytes`);
    }
    const bytes = await readCapped(response, maxBytes, () => tooLarge('longer than announced'), io, ctx.timeoutMs);
    verify(bytes, request, info);
    return { bytes, mimeType: info?.mimeType ?? contentType };
  }

  async function download(request: MediaDownloadRequest): Promise<DownloadedMedia> {
    if (!request.mediaId) throw permanent('graph_request_rejected', 'Cannot download media without a media id');
    if (!(request.maxBytes > 0)) throw permanent('media_too_large', `Invalid size limit ${request.maxBytes} for media ${request.mediaId}`);
    if (request.mediaUrl) {
      try {
        const direct = await attempt(request.mediaUrl, request, undefined);
        if ('bytes' in direct) return direct;
      } catch (error) {
        if (!(error instanceof PipelineError)) throw error;
        // The payload's URL is a shortcut; the lookup below is the authority.
      }
    }
    for (let round = 0; ; round += 1) {
      const info = await lookup(request.mediaId);
      const result = await attempt(info.url, request, info);
      if ('bytes' in result) return result;
      if (round >= 1) throw staleFailure(request.mediaId, result.staleStatus);
    }
  }

  return {
    async download(request) {
      try {
        return await download(request);
      } catch (error) {
        throw scrub(error, options.accessToken);
      }
    },
  };
}

function staleFailure(mediaId: string, status: number): PipelineError {
  const message = `Media download for ${mediaId} answered HTTP ${status} even with a fresh URL from Graph`;
  return status === 404 ? permanent('graph_media_not_found', message) : permanent('graph_request_rejected', message);
}

function verify(bytes: Buffer, request: MediaDownloadRequest, info: MediaInfo | undefined): void {
  const { mediaId } = request;
  if (bytes.length === 0) throw permanent('media_empty', `Media ${mediaId} downloaded as 0 bytes`);
  if (info?.fileSize !== undefined && info.fileSize !== bytes.length) {
    throw permanent('media_size_mismatch', `Media ${mediaId} is ${bytes.length} bytes but Graph announced ${info.fileSize}`);
  }
  const digest = createHash('sha256').update(bytes).digest();
  const expectations: [string, string | undefined][] = [
    ['the webhook', request.expectedSha256],
    ['the Graph lookup', info?.sha256],
  ];
  for (const [source, text] of expectations) {
    if (!text) continue;
    const expected = decodeSha256(text);
    if (!expected) {
      throw permanent('media_checksum_mismatch', `The sha256 from ${source} for media ${mediaId} is neither hex nor base64 of a SHA-256`);
    }
    if (!timingSafeEqual(expected, digest)) {
      throw permanent(
        'media_checksum_mismatch',
        `Media ${mediaId} bytes have sha256 ${digest.toString('hex')} but ${source} says ${expected.toString('hex')}`,
      );
    }
  }
}

/** Belt and braces: no message leaves the client carrying the access token. */
function scrub(error: unknown, token: string): unknown {
  if (!(error instanceof PipelineError) || !error.message.includes(token)) return error;
  const message = error.message.replaceAll(token, '[redacted]');
  return new PipelineError(error.code, message, { retryable: error.retryable, cause: error.cause });
}
