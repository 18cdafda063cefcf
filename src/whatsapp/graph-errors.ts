import { z } from 'zod';
import { type PipelineError, permanent, transient } from '../shared/pipeline-error.ts';

const numeric = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const graphErrorSchema = z.object({
  error: z.object({
    code: numeric.optional(),
    error_subcode: numeric.optional(),
    message: z.string().optional(),
    type: z.string().optional(),
    fbtrace_id: z.string().optional(),
    is_transient: z.boolean().optional(),
  }),
});

export type GraphError = z.infer<typeof graphErrorSchema>['error'];

/**
 * Graph codes Meta documents as "retry later": 1 unknown, 2 service unavailable, 4/17/32/613/80007/130429
 * rate limits. A Graph error flagged `is_transient` is treated the same way.
 */
const TRANSIENT_GRAPH_CODES = new Set([1, 2, 4, 17, 32, 613, 80007, 130429]);

export function parseGraphError(body: string): GraphError | undefined {
  try {
    const parsed = graphErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

function describeGraphError(graph: GraphError | undefined): string {
  if (!graph) return 'no Graph error body';
  const code = `${graph.code ?? '?'}${graph.error_subcode === undefined ? '' : `/${graph.error_subcode}`}`;
  const trace = graph.fbtrace_id ? ` [fbtrace_id ${graph.fbtrace_id}]` : '';
  return `Graph error ${code} (${graph.type ?? 'no type'}): ${graph.message ?? 'no message'}${trace}`;
}

/** A non-2xx answer to the media lookup, classified from its status and Graph error body. */
export function classifyLookupFailure(status: number, body: string, what: string): PipelineError {
  const graph = parseGraphError(body);
  const message = `${what} failed: HTTP ${status}, ${describeGraphError(graph)}`;
  if (status === 429 || status >= 500) return transient('graph_unavailable', message);
  if (graph?.code === 100) return permanent('graph_media_not_found', message);
  // A bare 401 without a Graph body can only be the token as well.
  if (graph?.code === 190 || (status === 401 && graph?.code === undefined)) {
    return permanent('graph_token_invalid', message);
  }
  if (graph && ((graph.code !== undefined && TRANSIENT_GRAPH_CODES.has(graph.code)) || graph.is_transient === true)) {
    return transient('graph_unavailable', message);
  }
  return permanent('graph_request_rejected', message);
}

/**
 * Meta sends sha256 as base64 in webhooks and as hex in some examples and lookups: accept both
 * (base64url too). Returns undefined when the text is neither form of a 32-byte digest.
 */
export function decodeSha256(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  return undefined;
}
