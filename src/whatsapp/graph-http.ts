import { PipelineError, permanent, transient } from '../shared/pipeline-error.ts';

/** Redirect hops a lookup or download may follow (each hop's host is checked against the allow-list). */
export const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface HttpContext {
  accessToken: string;
  allowedHosts: readonly string[];
  /** The configured Graph base's origin: the one place plain http or a non-default port is trusted. */
  graphOrigin: string;
  userAgent: string;
  timeoutMs: number;
}

/** One HTTP exchange: the label used in messages and the signal that bounds it (headers and body). */
export interface Exchange {
  what: string;
  signal: AbortSignal;
}

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[/, '').replace(/\]$/, '').replace(/\.$/, '');
}

/** Exact host names; an entry `*.example.com` admits subdomains of example.com (not example.com itself). */
export function isHostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = normalizeHost(hostname);
  return allowedHosts.some((entry) => {
    const rule = normalizeHost(entry);
    if (rule.startsWith('*.')) return host.endsWith(rule.slice(1)) && host.length > rule.length - 1;
    return host === rule;
  });
}

/** Origin and path only: signed query strings (lookaside `hash=`) never land in messages. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * A URL may be fetched (and get the token) only on the configured Graph origin exactly, or over https on
 * the default port at an allowed host: a host name alone would let `http://` or another port through.
 */
export function checkUrl(raw: string, allowedHosts: readonly string[], graphOrigin: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw permanent('media_host_not_allowed', 'Refusing to fetch a media URL that is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw permanent('media_host_not_allowed', `Refusing to fetch a ${url.protocol} URL: only http(s) is allowed`);
  }
  if (url.username || url.password) {
    throw permanent('media_host_not_allowed', `Refusing to fetch a URL with credentials on host ${url.hostname}`);
  }
  const allowedHost = isHostAllowed(url.hostname, allowedHosts);
  if (allowedHost && url.origin === graphOrigin) return url;
  if (url.protocol !== 'https:' || url.port !== '') {
    throw permanent('media_host_not_allowed', `Refusing to fetch ${describeUrl(url)}: media is only fetched over https on the default port`);
  }
  if (!allowedHost) {
    throw permanent(
      'media_host_not_allowed',
      `Refusing to fetch ${describeUrl(url)}: host ${url.hostname} is not in the media host allow-list`,
    );
  }
  return url;
}

function isTimeout(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof Error && reason.name === 'TimeoutError';
}

/** Turns whatever fetch or a body read threw into a classified, transient PipelineError. */
export function ioFailure(error: unknown, exchange: Exchange, timeoutMs: number): PipelineError {
  if (error instanceof PipelineError) return error;
  if (isTimeout(exchange.signal)) {
    return transient('graph_timeout', `${exchange.what} timed out after ${timeoutMs} ms`, error);
  }
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const detail =
    cause instanceof Error
      ? ((cause as NodeJS.ErrnoException).code ?? cause.message)
      : error instanceof Error
        ? error.message
        : String(error);
  return transient('graph_network_error', `${exchange.what} failed on the network: ${detail}`, error);
}

export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * GET with `redirect: 'manual'`, following up to MAX_REDIRECTS hops itself so that every hop's host is
 * checked. The Bearer token goes only to the origin of the first URL (as fetch does on cross-origin
 * redirects): a CDN hop never sees it.
 */
export async function fetchFollowing(
  ctx: HttpContext,
  start: string,
  accept: string,
  exchange: Exchange,
): Promise<{ response: Response; url: URL }> {
  const first = checkUrl(start, ctx.allowedHosts, ctx.graphOrigin);
  let url = first;
  for (let hop = 0; ; hop += 1) {
    const headers: Record<string, string> = {
      accept,
      'accept-encoding': 'identity',
      'user-agent': ctx.userAgent,
    };
    if (url.origin === first.origin) headers.authorization = `Bearer ${ctx.accessToken}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, redirect: 'manual', signal: exchange.signal });
    } catch (error) {
      throw ioFailure(error, { ...exchange, what: `${exchange.what} (${describeUrl(url)})` }, ctx.timeoutMs);
    }
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url };
    const location = response.headers.get('location');
    await discard(response);
    if (!location) {
      throw permanent('media_bad_redirect', `${exchange.what}: HTTP ${response.status} from ${describeUrl(url)} without a Location`);
    }
    if (hop >= MAX_REDIRECTS) {
      throw permanent('media_too_many_redirects', `${exchange.what}: more than ${MAX_REDIRECTS} redirects, last from ${describeUrl(url)}`);
    }
    url = checkUrl(location, ctx.allowedHosts, ctx.graphOrigin, url);
  }
}

/** Reads a body while counting bytes; cancels the stream (and so the connection) once over `limit`. */
export async function readCapped(
  response: Response,
  limit: number,
  tooLarge: () => PipelineError,
  exchange: Exchange,
  timeoutMs: number,
): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw ioFailure(error, exchange, timeoutMs);
  }
  return Buffer.concat(chunks, total);
}
