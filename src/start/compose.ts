import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.ts';
import { createCatalog } from '../catalog/create-catalog.ts';
import type { Config } from '../config/config.ts';
import { createWorkQueue } from '../dispatch/create-work-queue.ts';
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

/** Everything but HTTP: catalog, blobs, downloader, queue, workers and reconciler. */
export interface Pipeline {
  catalog: Catalog;
  blobs: BlobStore;
  queue: WorkQueue;
  reconciler: Reconciler;
  metrics: Metrics;
  /** Set when GRAPH_STANDIN is on: the local Graph the service downloads from. */
  standin: EmbeddedStandin | undefined;
  /** Starts the workers and the reconciler. */
  start(): void;
  /** Stops the reconciler, drains workers (up to SHUTDOWN_GRACE_MS), closes the queue and the catalog. */
  stop(): Promise<void>;
}

export interface Service extends Pipeline {
  app: FastifyInstance;
  adminToken: string;
  /** Listens, then starts workers and the reconciler; resolves to the base URL. */
  start(): Promise<string>;
  /** Shutdown in phases: stop HTTP, stop the reconciler, drain workers, close queue and catalog. */
  stop(): Promise<void>;
}

/** The composition root: the only place that knows which adapter runs behind each port. */
export async function createPipeline(config: Config, logger: Logger): Promise<Pipeline> {
  const metrics = new Metrics();
  // Fast start-up checks first: a bad key, a public or missing bucket, or a lagging table stop here.
  const blobs = createBlobStore(config.storage);
  await ensureBucket(blobs);
  const catalog = await createCatalog(config.catalog);
  let standin: EmbeddedStandin | undefined;
  let downloader: MediaDownloader;
  let queue: WorkQueue;
  try {
    standin = config.graph.standin.enabled ? await startEmbeddedStandin(config, logger) : undefined;
    downloader = createDownloader(config, standin);
    queue = await createWorkQueue(config.dispatch, logger);
  } catch (error) {
    await catalog.close();
    await standin?.close();
    throw error;
  }
  const reconciler = createReconciler({ catalog, queue, intervalMs: config.dispatch.reconcileIntervalMs, logger });
  const job = createMediaJob({ catalog, blobs, downloader, queue, media: config.media, dispatch: config.dispatch, logger, metrics });

  return {
    catalog,
    blobs,
    queue,
    reconciler,
    metrics,
    standin,
    start() {
      queue.start(job);
      reconciler.start();
    },
    async stop() {
      await reconciler.stop();
      await queue.close(config.dispatch.shutdownGraceMs);
      await catalog.close();
      await standin?.close();
    },
  };
}

/** The pipeline plus the webhook's HTTP app (what `serve` runs). */
export async function createService(config: Config, logger: Logger): Promise<Service> {
  const pipeline = await createPipeline(config, logger);
  const { catalog, queue, metrics } = pipeline;
  const adminToken = config.http.adminToken ?? randomBytes(24).toString('base64url');
  const ingress = createWebhookIngress({ appSecrets: config.whatsapp.appSecrets, catalog, queue, logger, metrics });
  let app: FastifyInstance;
  try {
    app = await buildApp({
      logger,
      ingress,
      catalog,
      queue,
      metrics,
      verifyToken: config.whatsapp.verifyToken,
      adminToken,
      bodyLimitBytes: config.http.bodyLimitBytes,
      requestTimeoutMs: config.http.requestTimeoutMs,
    });
  } catch (error) {
    await pipeline.stop();
    throw error;
  }

  return {
    ...pipeline,
    app,
    adminToken,
    async start() {
      // Listen first: a service that cannot get its port must not have started working on the catalog.
      const url = await app.listen({ host: config.http.host, port: config.http.port });
      pipeline.start();
      return url;
    },
    async stop() {
      await app.close();
      await pipeline.stop();
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
