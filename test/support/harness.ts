import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MediaRecord } from '../../src/catalog/media-record.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config.ts';
import { escapeNonAscii, signBody } from '../../src/ingress/signature.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createService, type Service } from '../../src/start/compose.ts';
import { createGraphStandin, loadMediaMap, type GraphStandin } from '../../src/whatsapp/graph-standin.ts';
import { fixturePath, webhookFixture } from './fixtures.ts';

export const APP_SECRET = 'e2e_app_secret';
export const ACCESS_TOKEN = 'e2e_access_token';
export const VERIFY_TOKEN = 'e2e_verify_token';

export interface Harness {
  url: string;
  config: Config;
  service: Service;
  standin: GraphStandin;
  dataDir: string;
  /** POSTs a body signed with APP_SECRET (or the given signature header). */
  post(body: string, signature?: string | null): Promise<{ status: number; json: unknown }>;
  postFixture(name: string): Promise<{ status: number; json: unknown }>;
  /** Resolves when every wamid is `stored` or `failed`; polls the catalog, never sleeps blindly. */
  waitForFinal(wamids: readonly string[], timeoutMs?: number): Promise<MediaRecord[]>;
  close(): Promise<void>;
}

/** The real service on a loopback port, with the Graph stand-in serving ../shared/fixtures media. */
export interface HarnessOptions {
  /** Receives every log line (JSON) the service writes; without it the service is silent. */
  logLines?: string[];
}

export async function startHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mv-e2e-'));
  const standin = createGraphStandin({ accessToken: ACCESS_TOKEN, media: await loadMediaMap(fixturePath('webhooks/media-map.json')) });
  const { baseUrl: graphUrl } = await standin.start();
  let config: Config;
  let service: Service;
  try {
    config = loadConfig({
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      PHONE_NUMBER_ID: '100000000000001',
      APP_SECRET,
      WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN,
      GRAPH_API_BASE_URL: graphUrl,
      HTTP_TIMEOUT_MS: '1500',
      RETRY_BASE_MS: '20',
      RETRY_MAX_MS: '100',
      WORKER_CONCURRENCY: '2',
      ...env,
    });
    const logger = options.logLines
      ? createLogger(config.logLevel, { write: (line: string) => void options.logLines?.push(line) })
      : createLogger('silent');
    service = await createService(config, logger);
  } catch (error) {
    await standin.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = await service.start();

  const post = async (body: string, signature?: string | null) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== null) headers['x-hub-signature-256'] = signature ?? signBody(body, APP_SECRET);
    const response = await fetch(`${url}/webhook`, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  };

  return {
    url,
    config,
    service,
    standin,
    dataDir,
    post,
    // Meta sends non-ASCII escaped; do the same so fixtures travel as they would in production.
    postFixture: (name) => post(escapeNonAscii(webhookFixture(name))),
    async waitForFinal(wamids, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const records = await Promise.all(wamids.map((w) => service.catalog.get(w)));
        if (records.every((r) => r && (r.status === 'stored' || r.status === 'failed'))) return records as MediaRecord[];
        if (Date.now() > deadline) {
          throw new Error(`not final in time: ${records.map((r, i) => `${wamids[i]}=${r?.status ?? 'missing'}`).join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await service.stop();
      await standin.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The wamids of the media messages a fixture carries, in order. */
export function wamidsOf(fixture: string): string[] {
  const body = JSON.parse(webhookFixture(fixture)) as { entry: { changes: { value: { messages?: { id: string; type: string }[] } }[] }[] };
  return body.entry.flatMap((e) => e.changes.flatMap((c) => (c.value.messages ?? []).map((m) => m.id)));
}
