import type { Catalog } from '../catalog/catalog.ts';
import type { AcceptedMedia } from '../catalog/media-record.ts';
import type { WorkQueue } from '../dispatch/work-queue.ts';
import { maskPhone, type Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { extractMedia } from './extract-media.ts';
import { verifySignature } from './signature.ts';
import { envelopeSchema } from './webhook-payload.ts';

export type IngressOutcome =
  | { status: 200; accepted: number; duplicates: number }
  | { status: 400 | 401 | 403; reason: string };

export interface WebhookIngressDeps {
  appSecrets: readonly string[];
  catalog: Catalog;
  queue: WorkQueue;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Turns one signed POST into durable catalog rows. The 200 is only answered after `catalog.accept`
 * resolved, so a crash at any later point loses nothing; dispatching is best-effort because the
 * reconciler re-finds any row that never got a job.
 */
export function createWebhookIngress(deps: WebhookIngressDeps) {
  const { catalog, queue, logger, metrics } = deps;

  /**
   * One statement for the whole POST; if the catalog refuses it, each item alone, so a single poisoned
   * item cannot keep its neighbours out. When every item fails the catalog itself is down: rethrow, the
   * POST gets a 5xx, and Meta delivers again later.
   */
  async function acceptIsolated(items: AcceptedMedia[]): Promise<{ newWamids: string[] }> {
    try {
      return await catalog.accept(items);
    } catch (error) {
      if (items.length <= 1) throw error;
      const results = await Promise.allSettled(items.map((item) => catalog.accept([item])));
      if (results.every((r) => r.status === 'rejected')) throw error;
      const newWamids: string[] = [];
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') newWamids.push(...result.value.newWamids);
        else {
          metrics.increment('webhook_items_invalid_total');
          logger.error({ wamid: items[i]?.wamid.slice(0, 120), err: result.reason }, 'the catalog refused one media item; its neighbours were accepted');
        }
      });
      return { newWamids };
    }
  }

  return async function receive(rawBody: Buffer, signatureHeader: string | undefined): Promise<IngressOutcome> {
    const verdict = verifySignature(rawBody, signatureHeader, deps.appSecrets);
    if (verdict !== 'valid') {
      metrics.increment('webhook_rejected_total', 1, { reason: `signature_${verdict}` });
      // Nothing of the body is logged: it is unauthenticated input.
      logger.warn({ verdict, bytes: rawBody.length }, 'webhook rejected: signature %s', verdict);
      return verdict === 'missing'
        ? { status: 401, reason: 'X-Hub-Signature-256 header is missing' }
        : { status: 403, reason: 'signature does not match' };
    }

    const envelope = parseEnvelope(rawBody);
    if (!envelope.ok) {
      metrics.increment('webhook_rejected_total', 1, { reason: 'malformed' });
      logger.error({ bytes: rawBody.length, problem: envelope.problem }, 'signed webhook body is not a WhatsApp payload');
      return { status: 400, reason: envelope.problem };
    }

    const batch = extractMedia(envelope.value);
    for (const [reason, n] of Object.entries(batch.ignored)) metrics.increment('webhook_items_ignored_total', n, { reason });
    if (batch.invalid > 0) {
      metrics.increment('webhook_items_invalid_total', batch.invalid);
      logger.warn({ invalid: batch.invalid }, 'webhook held messages without an id or type; they cannot be stored');
    }

    const { newWamids } = await acceptIsolated(batch.media);
    const fresh = new Set(newWamids);
    for (const item of batch.media) {
      const sender = maskPhone(item.senderPhone) ?? item.senderUserId;
      if (item.metaError) {
        // Accepted straight into `failed`; logged on every delivery since a redelivery changes nothing.
        metrics.increment('media_failed_total', 1, { code: item.metaError.code });
        logger.warn({ wamid: item.wamid, sender, status: 'failed', errorCode: item.metaError.code }, 'media not delivered by Meta');
      } else if (fresh.has(item.wamid)) {
        metrics.increment('media_accepted_total', 1, { kind: item.kind });
        logger.info({ wamid: item.wamid, kind: item.kind, sender, status: 'received' }, 'media accepted');
        queue.enqueue(item.wamid).catch((error: unknown) => {
          logger.warn({ wamid: item.wamid, err: error }, 'dispatch failed; the reconciler will pick the row up');
        });
      }
    }
    const duplicates = batch.media.filter((m) => !m.metaError).length - newWamids.length;
    if (duplicates > 0) metrics.increment('media_redelivered_total', duplicates);
    return { status: 200, accepted: newWamids.length, duplicates };
  };
}

export type WebhookIngress = ReturnType<typeof createWebhookIngress>;

function parseEnvelope(rawBody: Buffer) {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false as const, problem: 'body is not valid JSON' };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false as const, problem: `not a webhook envelope: ${first?.path.join('.')} ${first?.message}` };
  }
  return { ok: true as const, value: parsed.data };
}
