import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.ts';
import { createCatalog } from '../catalog/create-catalog.ts';
import type { Config } from '../config/config.ts';
import { createInProcessQueue } from '../dispatch/in-process-queue.ts';
import { createMediaJob, type MediaDownloader } from '../dispatch/media-job.ts';
import { createReconciler, type Reconciler } from '../dispatch/reconciler.ts';
import type { WorkQueue } from '../dispatch/work-queue.ts';
import { buildApp } from '../http/app.ts';
import { createWebhookIngress } from '../ingress/webhook-ingress.ts';
import type { Logger } from '../shared/logger.ts';
import { Metrics } from '../shared/metrics.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createBlobStore, ensureBucket } from '../storage/create-blob-store.ts';
import { createGraphMediaClient } from '../whatsapp/graph-media-client.ts';
import { startEmbeddedStandin, type EmbeddedStandin } from './embedded-standin.ts';

export interface Service {
  app: FastifyInstance;
  catalog: Catalog;
  blobs: BlobStore;
  queue: WorkQueue;
  reconciler: Reconciler;
  metrics: Metrics;
  adminToken: string;
  /** Set when GRAPH_STANDIN is on: the local Graph the service downloads from. */
  standin: EmbeddedStandin | undefined;
  /** Starts workers and the reconciler, then listens; resolves to the base URL. */
  start(): Promise<string>;
  /** Shutdown in phases: stop HTTP, stop the reconciler, drain workers, close the catalog. */
  stop(): Promise<void>;
}

/** The composition root: the only place that knows which adapter runs behind each port. */
export async function createService(config: Config, logger: Logger): Promise<Service> {
  const metrics = new Metrics();
  // Fast start-up checks first: a bad key, a public or missing bucket, or a lagging table stop here.
  const blobs = createBlobStore(config.storage);
  await ensureBucket(blobs);
  const catalog = await createCatalog(config.catalog);
  let standin: EmbeddedStandin | undefined;
  let downloader: MediaDownloader;
  try {
    standin = config.graph.standin.enabled ? await startEmbeddedStandin(config, logger) : undefined;
    downloader = createDownloader(config, standin);
  } catch (error) {
    await catalog.close();
    await standin?.close();
    throw error;
  }
  const queue = createInProcessQueue({ concurrency: config.dispatch.concurrency, logger });
  const reconciler = createReconciler({ catalog, queue, intervalMs: config.dispatch.reconcileIntervalMs, logger });
  const adminToken = config.http.adminToken ?? randomBytes(24).toString('base64url');

  const ingress = createWebhookIngress({ appSecrets: config.whatsapp.appSecrets, catalog, queue, logger, metrics });
  const app = await buildApp({
    logger,
    ingress,
    catalog,
    metrics,
    verifyToken: config.whatsapp.verifyToken,
    adminToken,
    bodyLimitBytes: config.http.bodyLimitBytes,
  });
  const job = createMediaJob({ catalog, blobs, downloader, queue, media: config.media, dispatch: config.dispatch, logger, metrics });

  return {
    app,
    catalog,
    blobs,
    queue,
    reconciler,
    metrics,
    adminToken,
    standin,
    async start() {
      queue.start(job);
      reconciler.start();
      return app.listen({ host: config.http.host, port: config.http.port });
    },
    async stop() {
      await app.close();
      await reconciler.stop();
      await queue.close(config.dispatch.shutdownGraceMs);
      await catalog.close();
      await standin?.close();
    },
  };
}

function createDownloader(config: Config, standin: EmbeddedStandin | undefined): MediaDownloader {
  const graph = standin
    ? { baseUrl: standin.baseUrl, accessToken: standin.accessToken, allowedHosts: [...config.graph.allowedHosts, new URL(standin.baseUrl).hostname] }
    : { baseUrl: config.graph.baseUrl, accessToken: config.whatsapp.accessToken, allowedHosts: config.graph.allowedHosts };
  if (!graph.accessToken) {
    throw new Error('WHATSAPP_ACCESS_TOKEN is not set: set it (Meta app → WhatsApp → API setup), or set GRAPH_STANDIN=true to use the local Graph stand-in.');
  }
  return createGraphMediaClient({
    baseUrl: graph.baseUrl,
    version: config.graph.version,
    accessToken: graph.accessToken,
    phoneNumberId: config.whatsapp.phoneNumberId,
    allowedHosts: graph.allowedHosts,
    userAgent: config.graph.userAgent,
    timeoutMs: config.graph.timeoutMs,
  });
}
