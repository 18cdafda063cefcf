import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../shared/logger.ts';
import { FaultBook, STANDIN_FAULTS, type StandinFault } from './graph-standin-faults.ts';
import type { StandinMedia } from './graph-standin-media.ts';
import { type MediaCounters, type StandinRequest, type StandinState, registerStandinRoutes } from './graph-standin-routes.ts';

export { loadMediaMap, type StandinMedia } from './graph-standin-media.ts';
export { STANDIN_FAULTS, type StandinFault } from './graph-standin-faults.ts';
export type { MediaCounters, StandinRequest } from './graph-standin-routes.ts';

export interface GraphStandinOptions {
  /** The token every lookup and download must carry as `Authorization: Bearer …`. */
  accessToken: string;
  media: ReadonlyMap<string, StandinMedia> | Readonly<Record<string, StandinMedia>>;
  /** How long a lookup's download URL stays valid; Meta's lookaside URLs live 5 minutes. */
  urlTtlMs?: number;
  /** 127.0.0.1 unless set. */
  host?: string;
  /** 0 (ephemeral) unless set. */
  port?: number;
  /** Request logging; silent without one. */
  logger?: Logger;
}

/**
 * Plays Meta's Graph API for media: `GET /{version}/{media-id}` answers the lookup JSON, and the URL it
 * hands out (`/whatsapp_business/attachments/?mid=…&ext=…&hash=…`, signed, expiring; `ext` in epoch ms)
 * serves the bytes. Both check the Bearer token. Faults can be armed per media id.
 */
export interface GraphStandin {
  start(): Promise<{ baseUrl: string }>;
  close(): Promise<void>;
  /** Set after start(), e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  addMedia(mediaId: string, media: StandinMedia): void;
  /** The next `times` lookups or downloads of `mediaId` (whichever the fault concerns) play `fault`. */
  setFault(mediaId: string, fault: StandinFault, times?: number): void;
  clearFaults(mediaId?: string): void;
  requests(): StandinRequest[];
  counters(mediaId: string): MediaCounters;
}

export const DEFAULT_URL_TTL_MS = 5 * 60 * 1000;

export function createGraphStandin(options: GraphStandinOptions): GraphStandin {
  if (!options.accessToken) throw new Error('Graph stand-in: an access token is required');
  const entries = options.media instanceof Map ? [...options.media] : Object.entries(options.media);
  let baseUrl: string | undefined;
  const state: StandinState = {
    accessToken: options.accessToken,
    media: new Map(entries),
    urlTtlMs: options.urlTtlMs ?? DEFAULT_URL_TTL_MS,
    signingKey: randomBytes(32),
    faults: new FaultBook(),
    log: [],
    counters: new Map(),
    hanging: new Set(),
    baseUrl() {
      if (!baseUrl) throw new Error('Graph stand-in is not started');
      return baseUrl;
    },
  };
  let app: FastifyInstance | undefined;

  return {
    get baseUrl() {
      return state.baseUrl();
    },
    async start() {
      if (app) throw new Error('Graph stand-in is already started');
      const instance = Fastify({
        forceCloseConnections: true,
        ...(options.logger ? { loggerInstance: options.logger.child({ component: 'graph-standin' }) } : { logger: false }),
      }) as unknown as FastifyInstance;
      registerStandinRoutes(instance, state);
      await instance.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
      app = instance;
      const address = instance.server.address() as AddressInfo;
      // A wildcard listen is reached through loopback; URLs handed out must name a reachable host.
      const reachable = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
      const host = address.family === 'IPv6' ? `[${reachable}]` : reachable;
      baseUrl = `http://${host}:${address.port}`;
      return { baseUrl };
    },
    async close() {
      if (!app) return;
      for (const raw of state.hanging) raw.destroy();
      state.hanging.clear();
      await app.close();
      app = undefined;
    },
    addMedia(mediaId, media) {
      state.media.set(mediaId, media);
    },
    setFault(mediaId, fault, times = 1) {
      state.faults.set(mediaId, fault, times);
    },
    clearFaults(mediaId) {
      state.faults.clear(mediaId);
    },
    requests() {
      return state.log.map((entry) => ({ ...entry }));
    },
    counters(mediaId) {
      const counters = state.counters.get(mediaId);
      return { lookups: counters?.lookups ?? 0, downloads: counters?.downloads ?? 0 };
    },
  };
}

/** For CLIs: the fault names, to validate user input. */
export function isStandinFault(name: string): name is StandinFault {
  return (STANDIN_FAULTS as readonly string[]).includes(name);
}
