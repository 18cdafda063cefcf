import { createHash } from 'node:crypto';
import type { Catalog } from '../catalog/catalog.ts';
import type { MediaRecord } from '../catalog/media-record.ts';
import type { Config } from '../config/config.ts';
import { processImage } from '../media/process-image.ts';
import { maskPhone, type Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { asPipelineError, permanent } from '../shared/pipeline-error.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { storageKeyFor } from '../storage/storage-key.ts';
import { retryDelayMs } from './retry-policy.ts';
import type { WorkQueue } from './work-queue.ts';

export interface MediaDownloader {
  download(request: {
    mediaId: string;
    maxBytes: number;
    expectedSha256?: string | undefined;
    mediaUrl?: string | undefined;
  }): Promise<{ bytes: Buffer; mimeType: string | undefined }>;
}

export interface MediaJobDeps {
  catalog: Catalog;
  blobs: BlobStore;
  downloader: MediaDownloader;
  queue: WorkQueue;
  media: Config['media'];
  dispatch: Config['dispatch'];
  logger: Logger;
  metrics: Metrics;
}

/** One media message from `received` to `stored` or `failed`: claim, fetch, process, store, record. */
export function createMediaJob(deps: MediaJobDeps) {
  const { catalog, logger, metrics } = deps;

  return async function runMediaJob(wamid: string): Promise<void> {
    const row = await catalog.claim(wamid, deps.dispatch.leaseMs);
    if (!row) return; // finished already, or another worker holds the lease
    const log = logger.child({ wamid, kind: row.kind, attempt: row.attempts, sender: maskPhone(row.senderPhone) ?? row.senderUserId });
    log.info({ status: 'processing' }, 'media processing');
    const started = performance.now();
    try {
      const result = await storeMedia(row, deps);
      await catalog.markStored(wamid, result);
      metrics.increment('media_stored_total', 1, { kind: row.kind });
      log.info(
        { status: 'stored', path: result.storagePath, bytes: result.byteSize, width: result.width, height: result.height, ms: Math.round(performance.now() - started) },
        'media stored',
      );
    } catch (thrown) {
      const error = asPipelineError(thrown);
      if (error.code === 'catalog_conflict') {
        // Our lease lapsed and another worker finished the row: its outcome stands.
        log.warn({ errorCode: error.code }, 'media finished elsewhere: %s', error.message);
        return;
      }
      if (error.retryable && row.attempts < deps.dispatch.maxAttempts) {
        const delayMs = retryDelayMs(row.attempts, deps.dispatch.retryBaseMs, deps.dispatch.retryMaxMs);
        await catalog.scheduleRetry(wamid, { code: error.code, message: error.message }, new Date(Date.now() + delayMs));
        await deps.queue.enqueue(wamid, { delayMs });
        metrics.increment('media_retries_total', 1, { code: error.code });
        log.warn({ status: 'received', errorCode: error.code, retryInMs: delayMs, err: error.code === 'internal_error' ? thrown : undefined }, 'media will be retried: %s', error.message);
        return;
      }
      const message = error.retryable
        ? `${error.message} (gave up after ${row.attempts} attempts)`
        : error.message;
      await catalog.markFailed(wamid, { code: error.code, message });
      metrics.increment('media_failed_total', 1, { code: error.code });
      log.warn({ status: 'failed', errorCode: error.code }, 'media failed: %s', message);
    }
  };
}

async function storeMedia(row: MediaRecord, deps: MediaJobDeps) {
  if (!row.mediaId) throw permanent('payload_media_missing', 'The message carries no media id; nothing can be downloaded.');
  const kind = row.kind === 'unsupported' ? 'image' : row.kind;
  const original = await deps.downloader.download({
    mediaId: row.mediaId,
    maxBytes: deps.media.maxBytes[kind],
    expectedSha256: row.announcedSha256,
    mediaUrl: row.mediaUrl,
  });
  const processed = await processImage(original.bytes, { kind }, deps.media);
  const storagePath = storageKeyFor(row, processed.extension);
  await deps.blobs.put(storagePath, processed.bytes, processed.mimeType);

  let originalPath: string | undefined;
  if (deps.media.keepOriginal) {
    originalPath = storageKeyFor(row, extensionOf(processed.originalMimeType), 'original');
    await deps.blobs.put(originalPath, original.bytes, processed.originalMimeType);
  }
  return {
    storagePath,
    mimeType: processed.mimeType,
    byteSize: processed.bytes.length,
    width: processed.width,
    height: processed.height,
    contentSha256: createHash('sha256').update(processed.bytes).digest('hex'),
    originalMimeType: processed.originalMimeType,
    originalPath,
  };
}

function extensionOf(mimeType: string): string {
  const subtype = mimeType.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin';
  return subtype === 'jpeg' ? 'jpg' : subtype;
}
