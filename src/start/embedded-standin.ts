import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import { createGraphStandin, loadMediaMap } from '../whatsapp/graph-standin.ts';

export interface EmbeddedStandin {
  baseUrl: string;
  accessToken: string;
  standin: ReturnType<typeof createGraphStandin>;
  close(): Promise<void>;
}

/**
 * GRAPH_STANDIN=true: the service plays Meta's Graph itself on a loopback port, so anyone without a Meta
 * account can run the real download path (media from GRAPH_STANDIN_MEDIA_MAP, or added by the demo).
 */
export async function startEmbeddedStandin(config: Config, logger: Logger): Promise<EmbeddedStandin> {
  const accessToken = config.whatsapp.accessToken ?? randomBytes(16).toString('hex');
  const mapPath = config.graph.standin.mediaMapPath;
  const media = mapPath ? await loadMediaMap(mapPath) : new Map();
  const standin = createGraphStandin({ accessToken, media });
  const { baseUrl } = await standin.start();
  logger.warn({ baseUrl, mediaItems: media.size }, 'GRAPH_STANDIN is on: media is downloaded from the local Graph stand-in, not from Meta');
  return { baseUrl, accessToken, standin, close: () => standin.close() };
}
